/** Stage composition: order, short-circuits, and that the chain is built once, not per request. */
import { expect, test } from "bun:test";
import { compose, type Handler, type Stage } from "../../../proxy/stages/compose.ts";
import { contextFor } from "./support.ts";

const tagging =
  (name: string, seen: string[]): Stage =>
  (next) =>
  (ctx) => {
    seen.push(name);
    return next(ctx);
  };

test("stages run first to last, then the final handler", async () => {
  const seen: string[] = [];
  const last: Handler = () => {
    seen.push("last");
    return new Response("done");
  };
  const chain = compose([tagging("a", seen), tagging("b", seen), tagging("c", seen)], last);
  const res = await chain(contextFor("http://x.test/"));
  expect(await res!.text()).toBe("done");
  expect(seen).toEqual(["a", "b", "c", "last"]);
});

test("a stage that answers itself keeps the later stages and the final handler from running", async () => {
  const seen: string[] = [];
  const stop: Stage = () => () => new Response("stopped", { status: 418 });
  const chain = compose([tagging("a", seen), stop, tagging("b", seen)], () => {
    seen.push("last");
    return new Response("never");
  });
  expect((await chain(contextFor("http://x.test/")))!.status).toBe(418);
  expect(seen).toEqual(["a"]);
});

test("each stage is wrapped once when the chain is built; requests do not build anything", async () => {
  let wraps = 0;
  const counting: Stage = (next) => {
    wraps++;
    return next;
  };
  const chain = compose([counting, counting], () => new Response("ok"));
  for (let i = 0; i < 5; i++) await chain(contextFor("http://x.test/"));
  expect(wraps).toBe(2);
});

test("with no stages the final handler is the chain", () => {
  const last: Handler = () => undefined;
  expect(compose([], last)).toBe(last);
});

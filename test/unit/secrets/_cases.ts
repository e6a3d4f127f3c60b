/** The vendor CLIs' documented outputs used by the adapter tests. Every secret value starts with s3cr3t. */

export const op = {
  field1: { id: "aaa", section: { id: "add more" }, type: "CONCEALED", label: "SECRET1", value: "s3cr3t-1", reference: "op://Vault/Item/SECRET1" },
  field2: { id: "bbb", section: { id: "section", label: "section" }, type: "CONCEALED", label: "SECRET2", value: "s3cr3t-2", reference: "op://Vault/Item/section/SECRET2" },
  password: { id: "password", type: "CONCEALED", purpose: "PASSWORD", label: "password", value: "s3cr3t-pw", reference: "op://Vault/Item/password" },
  api: { id: "ccc", type: "CONCEALED", label: "API", value: "s3cr3t-api", reference: "op://Vault2/Item2/API" },
  item: {
    id: "itemid",
    title: "Item",
    vault: { id: "vaultid", name: "Vault" },
    category: "LOGIN",
    fields: [
      { id: "username", type: "STRING", purpose: "USERNAME", label: "username", value: "admin", reference: "op://Vault/Item/username" },
      { id: "password", type: "CONCEALED", purpose: "PASSWORD", label: "password", value: "s3cr3t-pw", reference: "op://Vault/Item/password" },
    ],
  },
};

export const bw = {
  status: (status: string) => ({ serverUrl: null, lastSync: "2024-09-01T10:00:00.000Z", userEmail: "me@example.com", userId: "u-1", status }),
  loginItem: { object: "item", id: "i-1", name: "Login", type: 1, login: { username: "me", password: "s3cr3t-login", uris: [] }, fields: [] },
  myItem: { object: "item", id: "i-2", name: "MyItem", type: 1, login: { username: "me", password: "s3cr3t-unused" }, fields: [{ name: "API_KEY", value: "s3cr3t-api", type: 1, linkedId: null }] },
  note: {
    object: "item",
    id: "i-3",
    name: "Note",
    type: 2,
    secureNote: { type: 0 },
    fields: [
      { name: "A", value: "s3cr3t-a", type: 1 },
      { name: "B", value: "s3cr3t-b", type: 1 },
    ],
  },
  bareNote: { object: "item", id: "i-4", name: "Bare", type: 2, secureNote: { type: 0 } },
};

export const bws = {
  secret: (id: string, key: string, value: string) => ({
    object: "secret",
    id,
    organizationId: "org-1",
    projectId: "proj-1",
    key,
    value,
    note: "",
    creationDate: "2024-09-01T10:00:00Z",
    revisionDate: "2024-09-01T10:00:00Z",
  }),
};

export const lpass = {
  entry: (group: string, name: string, password: string) => ({
    id: String(name.length),
    name,
    fullname: group ? `${group}/${name}` : name,
    username: "me",
    password,
    last_modified_gmt: "1700000000",
    last_touch: "1700000000",
    group,
    url: "http://sn",
    note: "",
  }),
};

export const aws = {
  value: (name: string, secretString: string) => ({
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
    Name: name,
    VersionId: "v-1",
    SecretString: secretString,
    VersionStages: ["AWSCURRENT"],
    CreatedDate: "2024-09-01T10:00:00.000000+00:00",
  }),
};

export const gcloud = {
  account: [{ account: "me@example.com", status: "ACTIVE" }],
  access: (name: string, value: string) => ({ name: `projects/123456/secrets/${name}/versions/3`, payload: { data: Buffer.from(value).toString("base64"), dataCrc32c: "3307254567" } }),
};

export const doppler = {
  me: { name: "laptop", slug: "s-1", created_at: "2024-09-01T10:00:00Z", last_seen_at: "2024-09-01T10:00:00Z", type: "cli", token_preview: "dp.ct.abc...", workplace: { name: "Acme", slug: "acme" } },
  secret: (value: string) => ({ computed: value, computedVisibility: "masked", note: "", raw: value }),
};

export const enpass = [
  { title: "FooBar", login: "", category: "password", label: "DB_PASSWORD", password: "s3cr3t-db" },
  { title: "FooBar", login: "", category: "password", label: "API", password: "s3cr3t-api" },
  { title: "Other", login: "", category: "password", label: "", password: "s3cr3t-other" },
  { title: "Unrelated", login: "", category: "password", label: "X", password: "s3cr3t-unrelated" },
];

export const passbolt = {
  folder: (id: string, name: string, parent = "") => ({ id, folder_parent_id: parent, name, created_timestamp: "2024-09-01T10:00:00Z", modified_timestamp: "2024-09-01T10:00:00Z" }),
  resource: (name: string, password: string) => ({ name, password }),
};

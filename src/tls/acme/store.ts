import { chmod, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

/**
 * Traefik's acme.json, per resolver (pkg/provider/acme `StoredData`, Go's JSON of it): `Account` (Email,
 * Registration {body, uri}, PrivateKey: base64 of the PKCS#1 DER key) and `Certificates` (domain {main, sans},
 * certificate and key: base64 of their PEM, Store). Go writes a nil pointer or slice as `null`.
 */
export interface StoredAccount {
  Email: string;
  Registration: { body: Record<string, unknown>; uri?: string } | null;
  /** base64 of the RSA key's PKCS#1 DER (Traefik's x509.MarshalPKCS1PrivateKey). */
  PrivateKey: string;
}

export interface StoredCertificate {
  domain: { main: string; sans?: string[] };
  /** base64 of the PEM chain. */
  certificate: string;
  /** base64 of the PEM private key. */
  key: string;
  Store: string;
}

export interface StoredData { Account: StoredAccount | null; Certificates: StoredCertificate[] | null }

/** Where a resolver keeps its account and certificates: acme.json (Traefik's) or Consul KV (shared mode). */
export interface AcmeStore {
  getAccount(): Promise<StoredAccount | null>;
  saveAccount(account: StoredAccount): Promise<void>;
  getCertificates(): Promise<StoredCertificate[]>;
  saveCertificates(certificates: StoredCertificate[]): Promise<void>;
}

/** The names of a stored certificate, main first. */
export function storedDomains(c: StoredCertificate): string[] {
  return [c.domain.main, ...(c.domain.sans ?? [])];
}

/**
 * Traefik's CheckFile (local_store_unix.go): a missing file is created empty with mode 0600; an existing one
 * whose mode lets group or others in is refused ("permissions 644 for acme.json are too open, please use 600").
 * Returns whether it holds data.
 */
export async function checkStorageFile(path: string): Promise<boolean> {
  let size: number;
  try {
    const st = await stat(path);
    const perm = st.mode & 0o777;
    if ((perm & 0o077) !== 0) throw new Error(`permissions ${perm.toString(8)} for ${path} are too open, please use 600`);
    size = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const fh = await open(path, 'a', 0o600);
    await fh.close();
    await chmod(path, 0o600);
    return false;
  }
  return size > 0;
}

/**
 * acme.json shared by the resolvers naming the same file (Traefik's LocalStore): read once, written whole (mode
 * 0600, through a temporary file and a rename) after every change, writes one at a time.
 */
export class AcmeFile {
  readonly path: string;
  #data: Record<string, StoredData> | undefined;
  #loading: Promise<Record<string, StoredData>> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string) { this.path = path; }

  /** The store of one resolver in this file. */
  storeFor(resolver: string): AcmeStore {
    return {
      getAccount: async () => (await this.#entry(resolver)).Account,
      saveAccount: async (account) => { (await this.#entry(resolver)).Account = account; await this.#save(); },
      getCertificates: async () => [...((await this.#entry(resolver)).Certificates ?? [])],
      saveCertificates: async (certificates) => { (await this.#entry(resolver)).Certificates = certificates; await this.#save(); },
    };
  }

  async #entry(resolver: string): Promise<StoredData> {
    const data = await this.#load();
    return (data[resolver] ??= { Account: null, Certificates: null });
  }

  #load(): Promise<Record<string, StoredData>> {
    if (this.#data) return Promise.resolve(this.#data);
    this.#loading ??= (async () => {
      const hasData = await checkStorageFile(this.path);
      let data: Record<string, StoredData> = {};
      if (hasData) {
        const text = await readFile(this.path, 'utf8');
        if (text.trim() !== '') {
          try { data = JSON.parse(text) as Record<string, StoredData>; } catch (err) { throw new Error(`${this.path} is not valid JSON (${(err as Error).message})`, { cause: err }); }
        }
        // Traefik deletes the certificates with no value.
        for (const d of Object.values(data)) if (d.Certificates) d.Certificates = d.Certificates.filter((c) => c.certificate && c.key);
      }
      this.#data = data;
      return data;
    })();
    return this.#loading;
  }

  #save(): Promise<void> {
    const text = JSON.stringify(this.#data ?? {}, null, 2);
    this.#writing = this.#writing.catch(() => undefined).then(async () => {
      const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
      await writeFile(tmp, text, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, this.path);
    });
    return this.#writing;
  }
}

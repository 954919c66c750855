//! A browser for the server-rendered pages in tests: keeps cookies, reads the hidden fields of
//! forms and posts them back.

use std::collections::BTreeMap;

use crate::kit::TestApp;

pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    pub agent: &'static str,
}

/// A page: its status, where it redirects, and its HTML.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The value of the hidden (or any) input `name`.
    pub fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.html))
            + marker.len();
        self.html[start..].split('"').next().unwrap().to_owned()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: BTreeMap::new(),
            agent: "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn forget(&mut self, name: &str) {
        self.cookies.remove(name);
    }

    async fn read(&mut self, r: reqwest::Response) -> Page {
        for v in r.headers().get_all("set-cookie") {
            let text = v.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        Page {
            status,
            location,
            html: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .app
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("user-agent", self.agent)
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("user-agent", self.agent)
            .form(fields)
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    /// Posts a multipart form (a file upload) with the browser's cookies.
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("user-agent", self.agent)
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    /// Signs in through `/auth/sign_in` with the kit's password (`a good password`).
    pub async fn sign_in(&mut self, login: &str) {
        let page = self
            .submit(
                "/auth/sign_in",
                "/auth/sign_in",
                &[("login", login), ("password", "a good password")],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.html);
    }

    /// A browser signed in as `login` (username or address; the kit's password).
    pub async fn signed_in(app: &'a TestApp, login: &str) -> Browser<'a> {
        let mut browser = Browser::new(app);
        browser.sign_in(login).await;
        browser
    }

    /// Fills in the form of the page at `path` (its hidden fields, then `fields`) and posts it
    /// to `action`.
    pub async fn submit(&mut self, path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.html);
        let token = page.field("authenticity_token");
        let mut all = vec![("authenticity_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}

/// The TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) of a base32 secret at a Unix time,
/// computed by Python's standard library (an implementation independent of the server's).
pub fn totp(secret: &str, unix: u64) -> String {
    let script = "import base64,hmac,hashlib,struct,sys\n\
        s=sys.argv[1]; s+='='*(-len(s)%8)\n\
        k=base64.b32decode(s); c=int(sys.argv[2])//30\n\
        h=hmac.new(k,struct.pack('>Q',c),hashlib.sha1).digest(); o=h[-1]&15\n\
        print('%06d'%((struct.unpack('>I',h[o:o+4])[0]&0x7fffffff)%1000000))";
    let out = std::process::Command::new("python3")
        .args(["-c", script, secret, &unix.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn now_unix() -> u64 {
    #[allow(clippy::disallowed_methods)] // the test computes codes for the server's real clock
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

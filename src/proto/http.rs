//! Plain HTTP/1.x heads, read for what they expose, never for what they carry: a request's
//! method, Host, path (query parameter NAMES only) and which kinds of credentials ride in it;
//! a response's status, header names, `Server`, Set-Cookie names and page title.
//!
//! No secret leaves this module: header values of credentials, query values and cookie
//! values are looked at only to classify them and are never copied. A query part without
//! `=` (it may be a bare token) and a parameter or cookie name longer than [`MAX_NAME`]
//! (it may be a value in disguise) are written `*`.

#![deny(clippy::indexing_slicing)]

/// Bound on a request or response head: servers refuse longer ones by default (nginx and
/// Apache at 8 KiB), and the stream holds the head until its end, so a head that never ends
/// costs this much per connection and no more. A head past it is not read; the flow counts
/// it (`dropped.http_head_too_long`).
pub const MAX_HEAD: usize = 8192;
/// Path characters kept: a path is evidence, not an archive; the tail is cut.
pub const MAX_PATH: usize = 256;
/// Credentials kept per request: a hostile request may repeat headers without end.
pub const MAX_CREDENTIALS: usize = 8;
/// Cookie, parameter and header names kept per head, for the same reason.
pub const MAX_NAMES: usize = 16;
/// A name longer than this is taken for a value and written `*`.
pub const MAX_NAME: usize = 40;
/// A Host value longer than a DNS name can be (RFC 1035 §2.3.4: 255 octets) is no name, and
/// kept it would be copied into every exposure and self-hosted table entry (up to a whole
/// head's worth each): the request is read as one without a Host.
pub const MAX_HOST: usize = 255;
/// Title characters kept.
pub const MAX_TITLE: usize = 120;
/// Body bytes searched for `<title>`: login pages put it in the first kilobyte or two.
pub const MAX_BODY_PEEK: usize = 8192;

/// Header names that carry an API key by convention (lower-case).
pub const API_KEY_HEADERS: &[&str] = &[
    "x-api-key",
    "api-key",
    "apikey",
    "x-apikey",
    "x-auth-token",
    "x-access-token",
    "x-api-token",
    "x-token",
    "private-token",
    "x-user-token",
    "x-app-token",
];

/// Query parameter names that carry a key, token or password by convention (lower-case).
pub const API_KEY_PARAMS: &[&str] = &[
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_token",
    "auth_token",
    "api_token",
    "app_token",
    "password",
    "client_secret",
    "secret",
];

/// Authorization schemes other than Basic and Bearer, named when seen (any other first word
/// may be the secret itself, so it is not written).
const OTHER_SCHEMES: &[&str] = &[
    "digest",
    "token",
    "ntlm",
    "negotiate",
    "apikey",
    "key",
    "hmac",
    "aws4-hmac-sha256",
    "sharedaccesssignature",
];

/// A kind of credential sent in clear.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// `Authorization: Basic`: a user name and password, base64 only.
    BasicAuth,
    /// `Authorization: Bearer`: an OAuth or API token.
    BearerToken,
    /// Another `Authorization` scheme (named when it is a known one).
    OtherAuthorization,
    /// A header named for an API key (`x-api-key`, `api-key`, `x-auth-token`, ...).
    ApiKeyHeader,
    /// A query parameter named for a key, token or password (`api_key`, `token`, ...).
    ApiKeyParam,
    /// A `Cookie` header (a session, readable and replayable on plain HTTP).
    Cookie,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::BasicAuth => "basic_auth",
            CredentialKind::BearerToken => "bearer_token",
            CredentialKind::OtherAuthorization => "other_authorization",
            CredentialKind::ApiKeyHeader => "api_key_header",
            CredentialKind::ApiKeyParam => "api_key_param",
            CredentialKind::Cookie => "cookie",
        }
    }
}

/// One credential seen in a request: its kind and the name that carried it (the header or
/// parameter name, the cookie names joined by `,`, the Authorization scheme), never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub kind: CredentialKind,
    pub name: Option<String>,
}

/// A plain HTTP request head, without its secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    pub method: &'static str,
    /// The Host header's name (lower-cased, escaped, no port), if any.
    pub host: Option<String>,
    /// The path, its query reduced to parameter names: `/a/b?api_key&page`.
    pub path: String,
    pub credentials: Vec<Credential>,
}

/// A plain HTTP response head and its page title.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    /// Header names, lower-cased, in order (at most [`MAX_NAMES`]).
    pub header_names: Vec<String>,
    /// `Server` and `X-Powered-By` values (escaped, capped): product banners, no secrets.
    pub server: Option<String>,
    pub powered_by: Option<String>,
    /// Set-Cookie names (never values).
    pub cookie_names: Vec<String>,
    /// The text of the body's first `<title>` (whitespace collapsed, capped).
    pub title: Option<String>,
}

/// Where a head's blank line starts. None while the head is not complete within
/// [`MAX_HEAD`].
pub fn head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).take(MAX_HEAD).position(|w| w == b"\r\n\r\n")
}

/// Splits a head at its end: the lines (request or status line first) and the offset of
/// the body. None while the head is not complete within [`MAX_HEAD`].
fn head(b: &[u8]) -> Option<(Vec<&[u8]>, usize)> {
    let end = head_end(b)?;
    let lines = b
        .get(..end)?
        .split(|c| *c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    Some((lines, end + 4))
}

fn header(l: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = l.iter().position(|c| *c == b':')?;
    let (k, v) = l.split_at(colon);
    Some((k.trim_ascii(), v.get(1..).unwrap_or_default().trim_ascii()))
}

/// A name as written in outputs: escaped, or `*` when too long to be a name.
fn safe_name(raw: &[u8]) -> String {
    if raw.is_empty() || raw.len() > MAX_NAME {
        "*".to_owned()
    } else {
        crate::escape::name(raw)
    }
}

/// A request method as events name it: one of the common ones, else `OTHER`, so that the
/// field never carries bytes a client chose. Plain requests and proxy preambles alike.
pub fn method_name(m: &[u8]) -> &'static str {
    match m {
        b"GET" => "GET",
        b"POST" => "POST",
        b"HEAD" => "HEAD",
        b"PUT" => "PUT",
        b"DELETE" => "DELETE",
        b"OPTIONS" => "OPTIONS",
        b"PATCH" => "PATCH",
        _ => "OTHER",
    }
}

/// Reads a complete request head (`b` holds at least the head). None when it is not one.
pub fn request(b: &[u8]) -> Option<RequestHead> {
    let (lines, _) = head(b)?;
    let mut first = lines.first()?.split(|c| *c == b' ');
    let method = method_name(first.next()?);
    let target = first.next()?;
    let mut credentials = Vec::new();
    let mut add = |c: Credential| {
        if credentials.len() < MAX_CREDENTIALS && !credentials.contains(&c) {
            credentials.push(c);
        }
    };
    let path = reduce_target(target, &mut |name| {
        add(Credential {
            kind: CredentialKind::ApiKeyParam,
            name: Some(name),
        })
    });
    let mut host = None;
    for l in lines.iter().skip(1) {
        let Some((k, v)) = header(l) else { continue };
        let k = k.to_ascii_lowercase();
        match k.as_slice() {
            b"host" if host.is_none() => host = Some((v.len() <= MAX_HOST).then(|| host_name(v))),
            b"authorization" => {
                let scheme = v.split(|c| *c == b' ').next().unwrap_or_default();
                let scheme = scheme.to_ascii_lowercase();
                let (kind, name) = match scheme.as_slice() {
                    b"basic" => (CredentialKind::BasicAuth, None),
                    b"bearer" => (CredentialKind::BearerToken, None),
                    s => {
                        let known = OTHER_SCHEMES.iter().find(|k| k.as_bytes() == s);
                        (
                            CredentialKind::OtherAuthorization,
                            known.map(|k| (*k).to_owned()),
                        )
                    }
                };
                add(Credential { kind, name })
            }
            b"cookie" => {
                let names = cookie_names(v, b';');
                add(Credential {
                    kind: CredentialKind::Cookie,
                    name: Some(names.join(",")),
                })
            }
            k => {
                if let Some(h) = API_KEY_HEADERS.iter().find(|h| h.as_bytes() == k) {
                    add(Credential {
                        kind: CredentialKind::ApiKeyHeader,
                        name: Some((*h).to_owned()),
                    })
                }
            }
        }
    }
    Some(RequestHead {
        method,
        host: host.flatten().filter(|h| !h.is_empty()),
        path,
        credentials,
    })
}

/// The Host header's name part: lower-cased, escaped, without port or brackets.
fn host_name(v: &[u8]) -> String {
    let h = match v.iter().rposition(|c| *c == b':') {
        Some(i)
            if v.get(i + 1..)
                .is_some_and(|p| p.iter().all(u8::is_ascii_digit)) =>
        {
            v.get(..i).unwrap_or_default()
        }
        _ => v,
    };
    let h = h.strip_prefix(b"[").unwrap_or(h);
    let h = h.strip_suffix(b"]").unwrap_or(h);
    let h = h.strip_suffix(b".").unwrap_or(h);
    crate::escape::name(h)
}

/// The request target with its query reduced to names; `key_param` hears each name that
/// carries a key by convention. An absolute-form target (`http://host/path`) keeps its path.
fn reduce_target(target: &[u8], key_param: &mut impl FnMut(String)) -> String {
    let target = match target.windows(3).position(|w| w == b"://") {
        Some(i) => {
            let rest = target.get(i + 3..).unwrap_or_default();
            rest.get(rest.iter().position(|c| *c == b'/').unwrap_or(rest.len())..)
                .unwrap_or_default()
        }
        None => target,
    };
    let target = target.split(|c| *c == b'#').next().unwrap_or_default();
    let (path, query) = match target.iter().position(|c| *c == b'?') {
        Some(i) => (target.get(..i).unwrap_or_default(), target.get(i + 1..)),
        None => (target, None),
    };
    let mut out = String::new();
    for &b in path.iter().take(MAX_PATH) {
        crate::escape::push_byte(&mut out, b);
    }
    let Some(query) = query else { return out };
    let mut names = Vec::new();
    for part in query
        .split(|c| *c == b'&' || *c == b';')
        .filter(|p| !p.is_empty())
    {
        let name = match part.iter().position(|c| *c == b'=') {
            Some(i) => safe_name(part.get(..i).unwrap_or_default()),
            None => "*".to_owned(),
        };
        if API_KEY_PARAMS.contains(&name.as_str()) {
            key_param(name.clone());
        }
        if names.len() < MAX_NAMES {
            names.push(name);
        }
    }
    out.push('?');
    out.push_str(&names.join("&"));
    out
}

/// Cookie names from a `Cookie` header (`sep` `;`) or a `Set-Cookie` value's first pair.
fn cookie_names(v: &[u8], sep: u8) -> Vec<String> {
    v.split(|c| *c == sep)
        .filter_map(|p| {
            let p = p.trim_ascii();
            let eq = p.iter().position(|c| *c == b'=')?;
            Some(safe_name(p.get(..eq)?.trim_ascii()))
        })
        .take(MAX_NAMES)
        .collect()
}

/// What a response stream start gives.
#[derive(Debug, PartialEq, Eq)]
pub enum Response {
    /// More bytes may complete the head or show the title.
    Incomplete,
    NotHttp,
    /// No end of head within [`MAX_HEAD`]: not read, counted by the flow.
    HeadTooLong,
    /// The head (and title, if the body showed one in time).
    Head(ResponseHead),
}

/// Reads a response head and looks for the page title in the body bytes that follow. Waits
/// (`Incomplete`) until the head is complete and the title is found, the body is complete
/// (Content-Length, or chunked's last chunk), or [`MAX_BODY_PEEK`] body bytes were seen.
pub fn response(b: &[u8]) -> Response {
    if !b.starts_with(b"HTTP/1.") {
        return match b"HTTP/1.".starts_with(b) {
            true => Response::Incomplete,
            false => Response::NotHttp,
        };
    }
    let Some((lines, body_at)) = head(b) else {
        return match b.len() >= MAX_HEAD {
            true => Response::HeadTooLong,
            false => Response::Incomplete,
        };
    };
    let status = lines
        .first()
        .and_then(|l| l.split(|c| *c == b' ').nth(1))
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut r = ResponseHead {
        status,
        ..ResponseHead::default()
    };
    let mut content_length = None;
    let mut chunked = false;
    let banner = |v: &[u8]| crate::escape::name(v.get(..MAX_TITLE).unwrap_or(v));
    for l in lines.iter().skip(1) {
        let Some((k, v)) = header(l) else { continue };
        let k = k.to_ascii_lowercase();
        if r.header_names.len() < MAX_NAMES {
            let name = safe_name(&k);
            if !r.header_names.contains(&name) {
                r.header_names.push(name);
            }
        }
        match k.as_slice() {
            b"server" => r.server = Some(banner(v)),
            b"x-powered-by" => r.powered_by = Some(banner(v)),
            b"set-cookie" if r.cookie_names.len() < MAX_NAMES => {
                let first = v.split(|c| *c == b';').next().unwrap_or_default();
                r.cookie_names.extend(cookie_names(first, b';'));
            }
            b"content-length" => {
                content_length = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok())
            }
            b"transfer-encoding" => chunked = v.eq_ignore_ascii_case(b"chunked"),
            _ => {}
        }
    }
    let body = b.get(body_at..).unwrap_or_default();
    let peek = body.get(..MAX_BODY_PEEK).unwrap_or(body);
    r.title = title(peek);
    let done = r.title.is_some()
        || body.len() >= MAX_BODY_PEEK
        || content_length.is_some_and(|n: usize| body.len() >= n)
        || (chunked && body.ends_with(b"0\r\n\r\n"))
        || (!chunked && content_length.is_none() && status != 200)
        // A CONNECT's 200 is followed by the tunnel (a TLS flight), not a page.
        || body
            .first()
            .is_some_and(|c| !c.is_ascii_graphic() && !c.is_ascii_whitespace())
        || lower_contains(peek, b"</head>");
    match done {
        true => Response::Head(r),
        false => Response::Incomplete,
    }
}

fn lower_contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The first `<title ...>text</title>`'s text, whitespace collapsed; None when absent,
/// empty or not closed within the bytes given.
fn title(body: &[u8]) -> Option<String> {
    let open = find_ci(body, b"<title")?;
    let rest = body.get(open + 6..)?;
    let gt = rest.iter().position(|c| *c == b'>')?;
    let rest = rest.get(gt + 1..)?;
    let close = find_ci(rest, b"</title")?;
    let text = rest.get(..close)?;
    let mut out = String::new();
    for word in text
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        for &b in word {
            // Titles keep their case (signatures match them case-insensitively); bytes
            // outside printable ASCII as \DDD, like every name we write.
            match b {
                b'\\' => out.push_str("\\\\"),
                0x20..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\{b:03}")),
            }
        }
        if out.len() >= MAX_TITLE {
            break;
        }
    }
    let mut cut = out.len().min(MAX_TITLE);
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;

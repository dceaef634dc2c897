//! Self-hosted help desk signatures (`fingerprints/selfhosted.signatures`, embedded): what a
//! product's web server shows on plain HTTP (cookie names, page titles, header names,
//! request paths), each with the product's own code as its source.

use std::sync::OnceLock;

/// The built-in signature file.
pub const BUILTIN: &str = include_str!("../fingerprints/selfhosted.signatures");

/// What a signature looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Cookie,
    Title,
    Header,
    Path,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Cookie => "cookie",
            Field::Title => "title",
            Field::Header => "header",
            Field::Path => "path",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum How {
    Exact,
    Prefix,
    Contains,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Exact => "exact",
            How::Prefix => "prefix",
            How::Contains => "contains",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Index of its product in [`Signatures::products`].
    pub product: usize,
    pub field: Field,
    pub how: How,
    /// Lower-case.
    pub pattern: String,
    pub source: String,
}

impl Signature {
    /// Whether a value of this signature's field matches (case-insensitively).
    pub fn matches(&self, value: &str) -> bool {
        let v = value.to_ascii_lowercase();
        match self.how {
            How::Exact => v == self.pattern,
            How::Prefix => v.starts_with(&self.pattern),
            How::Contains => v.contains(&self.pattern),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signatures {
    pub products: Vec<Product>,
    pub sigs: Vec<Signature>,
}

impl Signatures {
    /// Parses a signature file; an error names the line.
    pub fn parse(text: &str) -> Result<Signatures, String> {
        let mut out = Signatures::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |m: &str| format!("line {}: {m}: {line}", i + 1);
            let (key, value) = line.split_once('=').ok_or_else(|| err("no '='"))?;
            let (head, tail) = value
                .split_once('|')
                .ok_or_else(|| err("no '|' before the name or source"))?;
            let (head, tail) = (head.trim(), tail.trim());
            match key.trim() {
                "product" => {
                    if head.is_empty() || tail.is_empty() {
                        return Err(err("a product needs an id and a name"));
                    }
                    out.products.push(Product {
                        id: head.to_owned(),
                        name: tail.to_owned(),
                    });
                }
                "sig" => {
                    let mut w = head.splitn(4, ' ');
                    let (Some(id), Some(field), Some(how), Some(pattern)) =
                        (w.next(), w.next(), w.next(), w.next())
                    else {
                        return Err(err("expected '<id> <field> <match> <pattern>'"));
                    };
                    let product = out
                        .products
                        .iter()
                        .position(|p| p.id == id)
                        .ok_or_else(|| err("unknown product (declare it first)"))?;
                    let field = match field {
                        "cookie" => Field::Cookie,
                        "title" => Field::Title,
                        "header" => Field::Header,
                        "path" => Field::Path,
                        _ => return Err(err("field is cookie, title, header or path")),
                    };
                    let how = match how {
                        "exact" => How::Exact,
                        "prefix" => How::Prefix,
                        "contains" => How::Contains,
                        _ => return Err(err("match is exact, prefix or contains")),
                    };
                    if tail.is_empty() {
                        return Err(err("a signature needs its source"));
                    }
                    out.sigs.push(Signature {
                        product,
                        field,
                        how,
                        pattern: pattern.trim().to_ascii_lowercase(),
                        source: tail.to_owned(),
                    });
                }
                _ => return Err(err("key is 'product' or 'sig'")),
            }
        }
        Ok(out)
    }

    /// The built-in signatures, parsed once.
    pub fn builtin() -> &'static Signatures {
        static S: OnceLock<Signatures> = OnceLock::new();
        S.get_or_init(|| {
            // The file is part of the binary and checked by a test: it always parses.
            Signatures::parse(BUILTIN).unwrap_or_default()
        })
    }

    /// The signatures of `field` that `value` matches.
    pub fn find<'s>(&'s self, field: Field, value: &'s str) -> impl Iterator<Item = usize> + 's {
        self.sigs
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.field == field && s.matches(value))
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_parses_and_covers_every_product() {
        let s = Signatures::parse(BUILTIN).unwrap();
        let ids: Vec<&str> = s.products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "zammad",
                "otrs",
                "osticket",
                "request-tracker",
                "freescout",
                "glpi",
                "uvdesk",
                "chatwoot"
            ]
        );
        for (i, _) in s.products.iter().enumerate() {
            assert!(s.sigs.iter().any(|g| g.product == i));
        }
        // Every source names a repository file (owner/repo:path).
        for g in &s.sigs {
            let (repo, _) = g.source.split_once(':').unwrap();
            assert_eq!(repo.split('/').count(), 2, "{}", g.source);
        }
    }

    #[test]
    fn matching_is_case_insensitive() {
        let s = Signatures::builtin();
        let hits = |f, v| {
            s.find(f, v)
                .map(|i| s.products[s.sigs[i].product].id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            hits(Field::Cookie, "_zammad_session_a138cfd0f37"),
            ["zammad"]
        );
        assert_eq!(
            hits(Field::Cookie, "RT_SID_example.com.80"),
            ["request-tracker"]
        );
        assert_eq!(hits(Field::Title, "osTicket :: Agent Login"), ["osticket"]);
        assert_eq!(hits(Field::Path, "/en/member/login"), ["uvdesk"]);
        assert!(hits(Field::Cookie, "phpsessid").is_empty());
        assert!(hits(Field::Title, "Login").is_empty());
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(Signatures::parse("sig = x cookie exact a | s")
            .unwrap_err()
            .contains("line 1"));
        assert!(Signatures::parse("product = a | A\nsig = a body exact x | s").is_err());
        assert!(Signatures::parse("product = a | A\nsig = a cookie exact x |").is_err());
    }
}

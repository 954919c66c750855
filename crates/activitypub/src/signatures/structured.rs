//! The part of RFC 8941 (Structured Field Values) that HTTP message signatures use:
//! dictionaries whose members are items or inner lists, with parameters, holding integers,
//! decimals, strings, tokens, byte sequences and booleans. `Signature-Input`, `Signature` and
//! `Content-Digest` are read with it; the signature base serialises inner lists back with it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Longest field accepted (callers already bound header sizes; this bounds the work).
const MAX_FIELD: usize = 16 * 1024;
/// Most members, list items or parameters accepted in one place.
const MAX_ENTRIES: usize = 64;

/// A bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    Integer(i64),
    /// Kept as written (`1.5`): nothing here computes with decimals.
    Decimal(String),
    String(String),
    Token(String),
    Bytes(Vec<u8>),
    Boolean(bool),
}

/// Parameters, in order (a repeated key keeps its last value, as the RFC says).
pub type Parameters = Vec<(String, BareItem)>;

/// An item with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub value: BareItem,
    pub params: Parameters,
}

/// A dictionary member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    Item(Item),
    InnerList(Vec<Item>, Parameters),
}

/// Why a field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed structured field: {0}")]
pub struct Malformed(pub &'static str);

/// Parses a dictionary field. A repeated key keeps its last value in the first key's place.
pub fn parse_dictionary(input: &str) -> Result<Vec<(String, Member)>, Malformed> {
    if input.len() > MAX_FIELD {
        return Err(Malformed("too long"));
    }
    let mut p = Parser {
        s: input.as_bytes(),
        i: 0,
    };
    let mut out: Vec<(String, Member)> = Vec::new();
    p.skip_sp();
    if p.done() {
        return Ok(out);
    }
    loop {
        let key = p.key()?;
        let member = if p.eat(b'=') {
            p.member()?
        } else {
            Member::Item(Item {
                value: BareItem::Boolean(true),
                params: p.params()?,
            })
        };
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = member;
        } else if out.len() >= MAX_ENTRIES {
            return Err(Malformed("too many members"));
        } else {
            out.push((key, member));
        }
        p.skip_ows();
        if p.done() {
            return Ok(out);
        }
        if !p.eat(b',') {
            return Err(Malformed("expected a comma between members"));
        }
        p.skip_ows();
        if p.done() {
            return Err(Malformed("trailing comma"));
        }
    }
}

/// Serialises an inner list with its parameters (`("a" "b");k=1`).
pub fn serialize_inner_list(items: &[Item], params: &Parameters) -> String {
    let mut out = String::from("(");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        serialize_bare(&mut out, &item.value);
        serialize_params(&mut out, &item.params);
    }
    out.push(')');
    serialize_params(&mut out, params);
    out
}

fn serialize_params(out: &mut String, params: &Parameters) {
    for (k, v) in params {
        out.push(';');
        out.push_str(k);
        if *v != BareItem::Boolean(true) {
            out.push('=');
            serialize_bare(out, v);
        }
    }
}

fn serialize_bare(out: &mut String, v: &BareItem) {
    match v {
        BareItem::Integer(n) => out.push_str(&n.to_string()),
        BareItem::Decimal(d) => out.push_str(d),
        BareItem::String(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        BareItem::Token(t) => out.push_str(t),
        BareItem::Bytes(b) => {
            out.push(':');
            out.push_str(&STANDARD.encode(b));
            out.push(':');
        }
        BareItem::Boolean(b) => out.push_str(if *b { "?1" } else { "?0" }),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn key(&mut self) -> Result<String, Malformed> {
        let start = self.i;
        match self.peek() {
            Some(c) if c.is_ascii_lowercase() || c == b'*' => self.i += 1,
            _ => return Err(Malformed("a key must start with a lower-case letter or *")),
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || matches!(c, b'_' | b'-' | b'.' | b'*')
            {
                self.i += 1;
            } else {
                break;
            }
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn member(&mut self) -> Result<Member, Malformed> {
        if self.peek() == Some(b'(') {
            let (items, params) = self.inner_list()?;
            Ok(Member::InnerList(items, params))
        } else {
            Ok(Member::Item(self.item()?))
        }
    }

    fn inner_list(&mut self) -> Result<(Vec<Item>, Parameters), Malformed> {
        self.i += 1; // (
        let mut items = Vec::new();
        loop {
            self.skip_sp();
            if self.eat(b')') {
                let params = self.params()?;
                return Ok((items, params));
            }
            if items.len() >= MAX_ENTRIES {
                return Err(Malformed("too many list items"));
            }
            items.push(self.item()?);
            match self.peek() {
                Some(b' ' | b')') => {}
                _ => {
                    return Err(Malformed(
                        "an inner list item must be followed by a space or )",
                    ));
                }
            }
        }
    }

    fn item(&mut self) -> Result<Item, Malformed> {
        let value = self.bare()?;
        let params = self.params()?;
        Ok(Item { value, params })
    }

    fn params(&mut self) -> Result<Parameters, Malformed> {
        let mut params: Parameters = Vec::new();
        while self.eat(b';') {
            self.skip_sp();
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare()?
            } else {
                BareItem::Boolean(true)
            };
            if let Some(slot) = params.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else if params.len() >= MAX_ENTRIES {
                return Err(Malformed("too many parameters"));
            } else {
                params.push((key, value));
            }
        }
        Ok(params)
    }

    fn bare(&mut self) -> Result<BareItem, Malformed> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b':') => self.bytes(),
            Some(b'?') => {
                self.i += 1;
                match self.peek() {
                    Some(b'0') => {
                        self.i += 1;
                        Ok(BareItem::Boolean(false))
                    }
                    Some(b'1') => {
                        self.i += 1;
                        Ok(BareItem::Boolean(true))
                    }
                    _ => Err(Malformed("a boolean is ?0 or ?1")),
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'*' => self.token(),
            _ => Err(Malformed("expected an item")),
        }
    }

    fn number(&mut self) -> Result<BareItem, Malformed> {
        let start = self.i;
        self.eat(b'-');
        let digits_start = self.i;
        let mut dot = None;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                self.i += 1;
            } else if c == b'.' && dot.is_none() {
                dot = Some(self.i);
                self.i += 1;
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| Malformed("number"))?;
        let int_digits = dot.unwrap_or(self.i) - digits_start;
        match dot {
            None => {
                if int_digits == 0 || int_digits > 15 {
                    return Err(Malformed("an integer has 1 to 15 digits"));
                }
                text.parse()
                    .map(BareItem::Integer)
                    .map_err(|_| Malformed("integer"))
            }
            Some(d) => {
                let frac = self.i - d - 1;
                if int_digits == 0 || int_digits > 12 || frac == 0 || frac > 3 {
                    return Err(Malformed("a decimal has 1-12 digits, a dot and 1-3 digits"));
                }
                Ok(BareItem::Decimal(text.to_owned()))
            }
        }
    }

    fn string(&mut self) -> Result<BareItem, Malformed> {
        self.i += 1; // "
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(Malformed("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => return Ok(BareItem::String(out)),
                b'\\' => match self.peek() {
                    Some(e @ (b'"' | b'\\')) => {
                        self.i += 1;
                        out.push(char::from(e));
                    }
                    _ => return Err(Malformed("a string escapes only \" and \\")),
                },
                0x20..=0x7e => out.push(char::from(c)),
                _ => return Err(Malformed("a string holds printable ASCII only")),
            }
        }
    }

    fn token(&mut self) -> Result<BareItem, Malformed> {
        let start = self.i;
        self.i += 1;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&c) {
                self.i += 1;
            } else {
                break;
            }
        }
        Ok(BareItem::Token(
            String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
        ))
    }

    fn bytes(&mut self) -> Result<BareItem, Malformed> {
        self.i += 1; // :
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == b':' {
                let text = &self.s[start..self.i];
                self.i += 1;
                return STANDARD
                    .decode(text)
                    .map(BareItem::Bytes)
                    .map_err(|_| Malformed("a byte sequence is base64"));
            }
            if !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')) {
                return Err(Malformed("a byte sequence is base64"));
            }
            self.i += 1;
        }
        Err(Malformed("unterminated byte sequence"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_signature_input() {
        let d = parse_dictionary(
            r#"sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="https://a.example/u#k";alg="rsa-v1_5-sha256", sig2=("@method");created=1"#,
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        let Member::InnerList(items, params) = &d[0].1 else {
            panic!("not a list")
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].value, BareItem::String("@method".into()));
        assert_eq!(params[0], ("created".into(), BareItem::Integer(1618884473)));
        assert_eq!(
            serialize_inner_list(items, params),
            r#"("@method" "@target-uri" "content-digest");created=1618884473;keyid="https://a.example/u#k";alg="rsa-v1_5-sha256""#
        );
    }

    #[test]
    fn reads_byte_sequences_tokens_and_booleans() {
        let d = parse_dictionary("sha-256=:AAEC:, a=?0, b, c=tok/en;x, d=1.25").unwrap();
        assert_eq!(
            d[0].1,
            Member::Item(Item {
                value: BareItem::Bytes(vec![0, 1, 2]),
                params: vec![]
            })
        );
        assert_eq!(
            d[2].1,
            Member::Item(Item {
                value: BareItem::Boolean(true),
                params: vec![]
            })
        );
        assert!(
            matches!(&d[3].1, Member::Item(i) if i.value == BareItem::Token("tok/en".into()) && i.params.len() == 1)
        );
        assert!(matches!(&d[4].1, Member::Item(i) if i.value == BareItem::Decimal("1.25".into())));
    }

    #[test]
    fn refuses_malformed_fields() {
        for bad in [
            "A=1",
            "a=",
            "a=1,",
            "a=(\"x\"",
            "a=\"unterminated",
            "a=\"bad \\n escape\"",
            "a=:not base64!:",
            "a=1234567890123456",
            "a=1.2345",
            "a=?2",
            "a=1 b=2",
            "a=(\"x\"\"y\")",
        ] {
            assert!(parse_dictionary(bad).is_err(), "{bad}");
        }
        let many = (0..100)
            .map(|n| format!("k{n}=1"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_dictionary(&many).is_err());
        assert!(parse_dictionary(&"a".repeat(MAX_FIELD + 1)).is_err());
        assert_eq!(parse_dictionary("").unwrap(), vec![]);
    }

    #[test]
    fn strings_round_trip_with_escapes() {
        let items = vec![Item {
            value: BareItem::String(r#"a"b\c"#.into()),
            params: vec![("req".into(), BareItem::Boolean(true))],
        }];
        let text = serialize_inner_list(&items, &vec![]);
        assert_eq!(text, r#"("a\"b\\c";req)"#);
        let d = parse_dictionary(&format!("x={text}")).unwrap();
        assert_eq!(d[0].1, Member::InnerList(items, vec![]));
    }
}

//! RESP2, the Redis wire protocol: commands out (arrays of bulk strings), replies in.

/// A reply from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Value>>),
}

/// The server sent something that is not RESP (or too large to accept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("protocol error: {0}")]
pub struct ProtocolError(pub String);

/// Largest bulk string accepted (events are a few kB; Redis's own cap is 512 MB).
const MAX_BULK: usize = 64 * 1024 * 1024;
/// Most elements accepted in one array.
const MAX_ARRAY: usize = 1 << 20;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 8;

/// Appends a command to `out`.
pub fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Parses one reply from the start of `buf`: `Ok(None)` when more bytes are needed, else the
/// value and how many bytes it used.
pub fn parse(buf: &[u8]) -> Result<Option<(Value, usize)>, ProtocolError> {
    parse_at(buf, 0, 0)
}

fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(at..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..end], at + end + 2))
}

fn int(bytes: &[u8]) -> Result<i64, ProtocolError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ProtocolError(format!("bad integer {:?}", String::from_utf8_lossy(bytes))))
}

fn parse_at(buf: &[u8], at: usize, depth: usize) -> Result<Option<(Value, usize)>, ProtocolError> {
    if depth > MAX_DEPTH {
        return Err(ProtocolError("nesting too deep".into()));
    }
    let Some(&kind) = buf.get(at) else {
        return Ok(None);
    };
    let Some((head, next)) = line(buf, at + 1) else {
        if buf.len() - at > MAX_BULK {
            return Err(ProtocolError("header line too long".into()));
        }
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(head).into_owned();
    match kind {
        b'+' => Ok(Some((Value::Simple(text()), next))),
        b'-' => Ok(Some((Value::Error(text()), next))),
        b':' => Ok(Some((Value::Int(int(head)?), next))),
        b'$' => {
            let n = int(head)?;
            if n < 0 {
                return Ok(Some((Value::Bulk(None), next)));
            }
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > MAX_BULK {
                return Err(ProtocolError(format!("bulk string of {n} bytes")));
            }
            let end = next + n;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(ProtocolError("bulk string not terminated".into()));
            }
            Ok(Some((Value::Bulk(Some(buf[next..end].to_vec())), end + 2)))
        }
        b'*' => {
            let n = int(head)?;
            if n < 0 {
                return Ok(Some((Value::Array(None), next)));
            }
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > MAX_ARRAY {
                return Err(ProtocolError(format!("array of {n} elements")));
            }
            let mut items = Vec::with_capacity(n.min(64));
            let mut pos = next;
            for _ in 0..n {
                match parse_at(buf, pos, depth + 1)? {
                    Some((v, p)) => {
                        items.push(v);
                        pos = p;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Value::Array(Some(items)), pos)))
        }
        other => Err(ProtocolError(format!(
            "unexpected reply type {:?}",
            other as char
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        encode(&mut out, &[b"PUBLISH", b"ch", b"hi\r\n"]);
        assert_eq!(out, b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$4\r\nhi\r\n\r\n");
    }

    #[test]
    fn replies_parse_whole_or_ask_for_more() {
        let msg = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n";
        for cut in 0..msg.len() {
            assert_eq!(parse(&msg[..cut]), Ok(None), "cut at {cut}");
        }
        let (v, used) = parse(msg).unwrap().unwrap();
        assert_eq!(used, msg.len());
        assert_eq!(
            v,
            Value::Array(Some(vec![
                Value::Bulk(Some(b"message".to_vec())),
                Value::Bulk(Some(b"ch".to_vec())),
                Value::Bulk(Some(b"hello".to_vec())),
            ]))
        );
        assert_eq!(
            parse(b"+OK\r\n:12\r\n"),
            Ok(Some((Value::Simple("OK".into()), 5)))
        );
        assert_eq!(parse(b":-3\r\n"), Ok(Some((Value::Int(-3), 5))));
        assert_eq!(parse(b"$-1\r\n"), Ok(Some((Value::Bulk(None), 5))));
        assert_eq!(
            parse(b"-ERR wrong\r\n"),
            Ok(Some((Value::Error("ERR wrong".into()), 12)))
        );
    }

    #[test]
    fn hostile_replies_are_errors_not_allocations() {
        assert!(parse(b"$99999999999\r\n").is_err());
        assert!(parse(b"*99999999999\r\n").is_err());
        assert!(parse(b"$3\r\nabcXY").is_err());
        assert!(parse(b"?what\r\n").is_err());
        assert!(parse(b":12a\r\n").is_err());
        let deep = "*1\r\n".repeat(20);
        assert!(parse(deep.as_bytes()).is_err());
    }
}

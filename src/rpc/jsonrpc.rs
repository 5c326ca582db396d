//! JSON-RPC 2.0 framing and validation, free of sockets so it can be fuzzed:
//! a byte stream is cut into complete JSON values, each value is checked
//! against the request shape, and responses are built with SPDK's codes.

use serde_json::{json, Map, Value};

pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_REQUEST: i32 = -32600;
pub const METHOD_NOT_FOUND: i32 = -32601;
pub const INVALID_PARAMS: i32 = -32602;
pub const INTERNAL_ERROR: i32 = -32603;
/// SPDK's `SPDK_JSONRPC_ERROR_INVALID_STATE`: the method is not allowed now.
pub const INVALID_STATE: i32 = -1;

/// The largest request the server buffers (a larger one is skipped and refused).
pub const MAX_REQUEST_SIZE: usize = 4 << 20;

/// A validated request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `None` for a notification (no `id` member): it gets no response.
    pub id: Option<Value>,
    pub method: String,
    /// The `params` member, `Value::Null` when absent.
    pub params: Value,
}

/// Why a value is not a request: the id to answer with, the code, the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub id: Option<Value>,
    pub code: i32,
    pub message: String,
}

/// What the front of a receive buffer holds.
#[derive(Debug, PartialEq)]
pub enum Framed {
    /// Complete values and the number of bytes they used.
    Values(Vec<Value>, usize),
    /// Bytes that cannot begin or continue a JSON value: the message says where.
    Garbage(String),
}

/// Cuts the complete JSON values off the front of `buf` (whitespace between
/// them is allowed); an incomplete trailing value stays for the next read.
pub fn frame(buf: &[u8]) -> Framed {
    let mut out = Vec::new();
    let mut used = 0;
    let mut it = serde_json::Deserializer::from_slice(buf).into_iter::<Value>();
    loop {
        match it.next() {
            None => break,
            Some(Ok(v)) => {
                out.push(v);
                used = it.byte_offset();
            }
            Some(Err(e)) if e.is_eof() => break,
            Some(Err(e)) => {
                if out.is_empty() {
                    return Framed::Garbage(format!("Parse error: {e}"));
                }
                // Answer what came before the garbage first; the next call reports it.
                break;
            }
        }
    }
    Framed::Values(out, used)
}

/// Finds where the top-level value starting at the front of a stream ends,
/// without keeping it: used to skip a request larger than the server takes.
#[derive(Debug, Default, Clone)]
pub struct Skipper {
    depth: u32,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl Skipper {
    /// Feeds bytes; returns how many belong to the value if it ended in them.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.started = true;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.started && self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

fn reject(id: Option<Value>, code: i32, message: impl Into<String>) -> Rejection {
    Rejection { id, code, message: message.into() }
}

/// Checks one value against the JSON-RPC 2.0 request shape.
pub fn validate(v: Value) -> Result<Request, Rejection> {
    let Value::Object(mut m) = v else {
        return Err(reject(None, INVALID_REQUEST, "Invalid request: a request must be a JSON object"));
    };
    let id = match m.remove("id") {
        None => None,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id),
        Some(other) => return Err(reject(None, INVALID_REQUEST, format!("Invalid request: id must be a number, a string or null, not {other}"))),
    };
    match m.get("jsonrpc") {
        Some(Value::String(s)) if s == "2.0" => {}
        Some(other) => return Err(reject(id, INVALID_REQUEST, format!("Invalid request: jsonrpc must be \"2.0\", not {other}"))),
        None => return Err(reject(id, INVALID_REQUEST, "Invalid request: missing \"jsonrpc\": \"2.0\"")),
    }
    let method = match m.remove("method") {
        Some(Value::String(s)) => s,
        Some(other) => return Err(reject(id, INVALID_REQUEST, format!("Invalid request: method must be a string, not {other}"))),
        None => return Err(reject(id, INVALID_REQUEST, "Invalid request: missing \"method\"")),
    };
    let params = match m.remove("params") {
        None => Value::Null,
        Some(p @ (Value::Object(_) | Value::Array(_))) => p,
        Some(other) => return Err(reject(id, INVALID_REQUEST, format!("Invalid request: params must be an object or an array, not {other}"))),
    };
    if let Some(k) = m.keys().find(|k| k.as_str() != "jsonrpc") {
        return Err(reject(id, INVALID_REQUEST, format!("Invalid request: unknown member \"{k}\"")));
    }
    Ok(Request { id, method, params })
}

/// A success response.
pub fn result(id: Value, result: Value) -> Value {
    let mut m = Map::new();
    m.insert("jsonrpc".into(), "2.0".into());
    m.insert("id".into(), id);
    m.insert("result".into(), result);
    Value::Object(m)
}

/// An error response.
pub fn error(id: Value, code: i32, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_keeps_partial_values() {
        let two = br#"{"a":1} {"b":2}"#;
        assert_eq!(frame(two), Framed::Values(vec![json!({"a":1}), json!({"b":2})], two.len()));
        let partial = br#"{"a":1}{"b":"#;
        assert_eq!(frame(partial), Framed::Values(vec![json!({"a":1})], 7));
        assert_eq!(frame(b"   "), Framed::Values(vec![], 0));
        assert!(matches!(frame(b"{\"a\" 1}"), Framed::Garbage(_)));
        // Values before garbage are answered first.
        assert_eq!(frame(b"{} }"), Framed::Values(vec![json!({})], 2));
        // Deep nesting is an error, not a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(matches!(frame(deep.as_bytes()), Framed::Garbage(_)));
    }

    #[test]
    fn skipper_finds_the_end() {
        let mut s = Skipper::default();
        assert_eq!(s.feed(br#"{"x": "a}\"b", "#), None);
        assert_eq!(s.feed(br#""y": [1, {"z": "]"}]} tail"#), Some(21));
    }

    #[test]
    fn validation() {
        let ok = validate(json!({"jsonrpc": "2.0", "method": "m", "id": 7, "params": {"a": 1}})).unwrap();
        assert_eq!(ok, Request { id: Some(json!(7)), method: "m".into(), params: json!({"a": 1}) });
        let note = validate(json!({"jsonrpc": "2.0", "method": "m"})).unwrap();
        assert_eq!(note.id, None);
        assert_eq!(note.params, Value::Null);
        let e = validate(json!({"jsonrpc": "1.0", "method": "m", "id": 1})).unwrap_err();
        assert_eq!((e.id, e.code), (Some(json!(1)), INVALID_REQUEST));
        assert_eq!(validate(json!([1])).unwrap_err().code, INVALID_REQUEST);
        assert_eq!(validate(json!({"jsonrpc": "2.0", "method": 5, "id": 1})).unwrap_err().code, INVALID_REQUEST);
        assert_eq!(validate(json!({"jsonrpc": "2.0", "method": "m", "id": {}})).unwrap_err().code, INVALID_REQUEST);
        assert_eq!(validate(json!({"jsonrpc": "2.0", "method": "m", "id": 1, "params": 3})).unwrap_err().code, INVALID_REQUEST);
        assert_eq!(validate(json!({"jsonrpc": "2.0", "method": "m", "id": 1, "extra": 3})).unwrap_err().code, INVALID_REQUEST);
        let r = error(json!(3), METHOD_NOT_FOUND, "Method not found");
        assert_eq!(r["error"]["code"], json!(-32601));
    }
}

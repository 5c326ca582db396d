//! A streaming JSON writer with SPDK's `spdk_json_write_*` semantics:
//! values, names and nesting written in order, commas and (optionally)
//! indentation added, and any misuse (a value where a name is due, an
//! unbalanced end, invalid UTF-8) recorded so `finish` reports failure.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Frame {
    Array,
    Object,
}

#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
    stack: Vec<(Frame, usize)>,
    formatted: bool,
    /// A name was written; its value comes next.
    after_name: bool,
    /// A complete top-level value was written.
    done_top: bool,
    failed: bool,
}

impl Writer {
    pub fn new(formatted: bool) -> Writer {
        Writer { formatted, ..Default::default() }
    }

    /// Starts with an open array or object, as if `[` or `{` had been
    /// written (module callbacks write members into a container of ours).
    pub fn inside(frame_is_object: bool) -> Writer {
        let mut w = Writer::new(false);
        w.stack.push((if frame_is_object { Frame::Object } else { Frame::Array }, 0));
        w
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The bytes written so far (taken).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    fn newline(&mut self) {
        if self.formatted {
            self.out.push(b'\n');
            for _ in 0..self.stack.len() {
                self.out.extend_from_slice(b"  ");
            }
        }
    }

    /// Accounts for a value about to be written; false (and failed) if none may come here.
    fn value_start(&mut self) -> bool {
        if self.failed {
            return false;
        }
        match self.stack.last_mut() {
            None => {
                if self.done_top {
                    self.failed = true;
                    return false;
                }
            }
            Some((Frame::Object, _)) => {
                if !self.after_name {
                    self.failed = true;
                    return false;
                }
                self.after_name = false;
            }
            Some((Frame::Array, n)) => {
                *n += 1;
                if *n > 1 {
                    self.out.push(b',');
                }
                self.newline();
            }
        }
        true
    }

    fn value_end(&mut self) {
        if self.stack.is_empty() {
            self.done_top = true;
        }
    }

    /// Writes a scalar's JSON text (already valid JSON).
    pub fn raw_value(&mut self, text: &[u8]) -> bool {
        if !self.value_start() {
            return false;
        }
        self.out.extend_from_slice(text);
        self.value_end();
        true
    }

    pub fn string(&mut self, s: &str) -> bool {
        if !self.value_start() {
            return false;
        }
        let _ = serde_json::to_writer(&mut self.out, s);
        self.value_end();
        true
    }

    /// A string given as bytes: must be UTF-8.
    pub fn string_bytes(&mut self, b: &[u8]) -> bool {
        match std::str::from_utf8(b) {
            Ok(s) => self.string(s),
            Err(_) => {
                self.failed = true;
                false
            }
        }
    }

    pub fn name(&mut self, name: &[u8]) -> bool {
        let Ok(name) = std::str::from_utf8(name) else {
            self.failed = true;
            return false;
        };
        match self.stack.last_mut() {
            Some((Frame::Object, n)) if !self.after_name && !self.failed => {
                *n += 1;
                if *n > 1 {
                    self.out.push(b',');
                }
            }
            _ => {
                self.failed = true;
                return false;
            }
        }
        self.newline();
        let _ = serde_json::to_writer(&mut self.out, name);
        self.out.push(b':');
        if self.formatted {
            self.out.push(b' ');
        }
        self.after_name = true;
        true
    }

    pub fn begin(&mut self, object: bool) -> bool {
        if !self.value_start() {
            return false;
        }
        self.out.push(if object { b'{' } else { b'[' });
        self.stack.push((if object { Frame::Object } else { Frame::Array }, 0));
        true
    }

    pub fn end(&mut self, object: bool) -> bool {
        let want = if object { Frame::Object } else { Frame::Array };
        match self.stack.last() {
            Some(&(f, n)) if f == want && !self.after_name && !self.failed => {
                self.stack.pop();
                if n > 0 {
                    self.newline();
                }
                self.out.push(if object { b'}' } else { b']' });
                self.value_end();
                true
            }
            _ => {
                self.failed = true;
                false
            }
        }
    }

    /// Writes a whole serde value.
    pub fn value(&mut self, v: &serde_json::Value) -> bool {
        use serde_json::Value;
        match v {
            Value::Array(a) => self.begin(false) && a.iter().all(|x| self.value(x)) && self.end(false),
            Value::Object(m) => self.begin(true) && m.iter().all(|(k, x)| self.name(k.as_bytes()) && self.value(x)) && self.end(true),
            Value::String(s) => self.string(s),
            other => self.raw_value(other.to_string().as_bytes()),
        }
    }

    /// Whether the output is complete: one value, every container closed, no misuse.
    pub fn complete(&self) -> bool {
        !self.failed && self.stack.is_empty() && !self.after_name
    }

    /// The output of a writer made with `inside`, closed and parsed back.
    pub fn close_inside(mut self, object: bool) -> Option<serde_json::Value> {
        if !self.end(object) || !self.complete() {
            return None;
        }
        let mut text = vec![if object { b'{' } else { b'[' }];
        text.extend_from_slice(&self.out);
        serde_json::from_slice(&text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_and_checks_nesting() {
        let mut w = Writer::new(false);
        assert!(w.begin(true) && w.name(b"a") && w.raw_value(b"1") && w.name(b"b\"q") && w.begin(false));
        assert!(w.string("x\ny") && w.raw_value(b"true") && w.end(false) && w.end(true));
        assert!(w.complete());
        assert_eq!(String::from_utf8(w.take()).unwrap(), r#"{"a":1,"b\"q":["x\ny",true]}"#);
        let mut w = Writer::new(false);
        assert!(w.begin(true));
        assert!(!w.raw_value(b"1"), "a value where a name is due");
        assert!(!w.complete());
        let mut w = Writer::new(false);
        assert!(w.begin(false) && !w.end(true));
        let mut w = Writer::new(true);
        assert!(w.value(&json!({"k": [1, {"z": null}], "e": {}})));
        let text = String::from_utf8(w.take()).unwrap();
        assert!(text.contains('\n'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), json!({"k": [1, {"z": null}], "e": {}}));
        let mut w = Writer::inside(false);
        assert!(w.value(&json!({"method": "m"})) && w.value(&json!(2)));
        assert_eq!(w.close_inside(false), Some(json!([{"method": "m"}, 2])));
        let mut w = Writer::inside(true);
        assert!(w.name(b"x") && w.raw_value(b"3"));
        assert_eq!(w.close_inside(true), Some(json!({"x": 3})));
        assert!(!Writer::new(false).string_bytes(&[0xff]));
    }
}

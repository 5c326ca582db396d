//! SPDK's JSON configuration files: `{"subsystems": [{"subsystem": NAME,
//! "config": [{"method": M, "params": {...}}, ...]}, ...]}`, applied at
//! start. An error names the file, the subsystem, the method and what is
//! wrong; what the file created before the error is removed again.

use serde_json::Value;

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One configuration call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub subsystem: String,
    pub method: String,
    pub params: Value,
}

/// Parses the text of a config file (`origin` names it in errors).
pub fn parse(text: &str, origin: &str) -> Result<Vec<Call>, ConfigError> {
    let v: Value = serde_json::from_str(text).map_err(|e| ConfigError(format!("{origin}: not valid JSON: {e}")))?;
    let subs = v
        .get("subsystems")
        .and_then(Value::as_array)
        .ok_or_else(|| ConfigError(format!("{origin}: the top level must be an object with a \"subsystems\" array")))?;
    let mut calls = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        let name = s.get("subsystem").and_then(Value::as_str).ok_or_else(|| ConfigError(format!("{origin}: subsystems[{i}] has no \"subsystem\" name")))?;
        let config = match s.get("config") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a,
            Some(_) => return Err(ConfigError(format!("{origin}: subsystem {name}: \"config\" must be an array"))),
        };
        for (j, c) in config.iter().enumerate() {
            let method = c.get("method").and_then(Value::as_str).ok_or_else(|| ConfigError(format!("{origin}: subsystem {name}: config[{j}] has no \"method\"")))?;
            calls.push(Call { subsystem: name.to_string(), method: method.to_string(), params: c.get("params").cloned().unwrap_or(Value::Null) });
        }
    }
    Ok(calls)
}

/// Applies the calls in order; on the first failure, undoes what was created and reports it.
pub fn apply(calls: &[Call], origin: &str) -> Result<(), ConfigError> {
    let mut created: Vec<String> = Vec::new();
    for c in calls {
        let r = match c.subsystem.as_str() {
            "bdev" => crate::bdev::config::call(&c.method, &c.params).map_err(|e| e.0),
            "sock" => crate::rpc::sock::config_call(&c.method, &c.params),
            "nvmf" => crate::rpc::nvmf::config_call(&c.method, &c.params),
            // Subsystems without configuration methods yet accept an empty config only.
            other => Err(format!("subsystem '{other}' has no configuration methods in this build")),
        };
        match r {
            Ok(Some(name)) => created.push(name),
            Ok(None) => {}
            Err(e) => {
                for name in created.iter().rev() {
                    crate::bdev::config::undo(name);
                }
                return Err(ConfigError(format!("{origin}: subsystem {}: method {}: {e}", c.subsystem, c.method)));
            }
        }
    }
    Ok(())
}

/// Reads, parses and applies a config file.
pub fn load_file(path: &str) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError(format!("{path}: cannot read: {e}")))?;
    let calls = parse(&text, path)?;
    apply(&calls, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_shapes_and_errors() {
        let ok = r#"{"subsystems":[{"subsystem":"bdev","config":[{"method":"bdev_null_create","params":{"name":"x","num_blocks":1,"block_size":512}}]},{"subsystem":"nvmf","config":null}]}"#;
        let calls = parse(ok, "f.json").unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].method, "bdev_null_create");
        assert!(parse("{", "f.json").unwrap_err().0.starts_with("f.json: not valid JSON"));
        assert!(parse("[]", "f.json").unwrap_err().0.contains("\"subsystems\" array"));
        assert!(parse(r#"{"subsystems":[{"config":[]}]}"#, "f.json").unwrap_err().0.contains("no \"subsystem\""));
        assert!(parse(r#"{"subsystems":[{"subsystem":"bdev","config":[{"params":{}}]}]}"#, "f.json").unwrap_err().0.contains("no \"method\""));
    }

    #[test]
    fn failure_names_the_place_and_undoes() {
        let text = r#"{"subsystems":[{"subsystem":"bdev","config":[
            {"method":"bdev_null_create","params":{"name":"undo_me","num_blocks":8,"block_size":512}},
            {"method":"bdev_malloc_create","params":{"name":"bad","num_blocks":8,"block_size":513}}]}]}"#;
        let calls = parse(text, "cfg.json").unwrap();
        let e = apply(&calls, "cfg.json").unwrap_err();
        assert!(e.0.starts_with("cfg.json: subsystem bdev: method bdev_malloc_create: block_size 513"), "{e}");
        assert!(crate::bdev::get_by_name("undo_me").is_none(), "what the file created before the error is gone");
    }
}

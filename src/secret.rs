//! A string that must never be printed: API keys and header values.

use std::fmt;

/// Holds a credential. `Debug` and `Display` print `(redacted)` so a key cannot leak through
/// `{:?}` in an error chain, a `--verbose` log or a panic message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value; the only way to read it back is [`Secret::expose`].
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value, for building a request header. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("(redacted)")
    }
}

/// Shows a URL without any user:password part, for messages and logs.
pub fn redact_url(url: &url::Url) -> String {
    let mut u = url.clone();
    if !u.username().is_empty() {
        let _ = u.set_username("redacted");
    }
    if u.password().is_some() {
        let _ = u.set_password(Some("redacted"));
    }
    // Query parameters such as `token=` carry credentials on Comfy Cloud WebSockets.
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let sensitive = matches!(
                    k.to_ascii_lowercase().as_str(),
                    "token" | "api_key" | "apikey" | "key" | "auth" | "access_token"
                        // Signed download URLs are self-authorising until they expire.
                        | "sig" | "signature" | "x-goog-signature" | "x-goog-credential"
                        | "x-amz-signature" | "x-amz-credential" | "x-amz-security-token"
                );
                (
                    k.into_owned(),
                    if sensitive {
                        "redacted".into()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Redacts every URL found in free text (words starting with `http://`, `https://`, `ws://`,
/// `wss://`), for messages whose origin is unknown (a panic).
pub fn redact_text(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|w| {
            let trimmed = w.trim_end();
            let lower = trimmed.to_ascii_lowercase();
            if ["http://", "https://", "ws://", "wss://"]
                .iter()
                .any(|p| lower.starts_with(p))
                && let Ok(u) = url::Url::parse(trimmed)
            {
                format!("{}{}", redact_url(&u), &w[trimmed.len()..])
            } else {
                w.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_free_text_lose_their_credentials() {
        let t = redact_text("failed on https://u:pw@h/x?token=abc and more\n");
        assert!(!t.contains("pw@") && !t.contains("abc"), "{t}");
        assert!(t.ends_with(" and more\n"));
    }

    #[test]
    fn never_formats_the_value() {
        let s = Secret::new("sk-live-123");
        assert_eq!(format!("{s} {s:?}"), "(redacted) (redacted)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"(redacted)\"");
        assert_eq!(s.expose(), "sk-live-123");
    }

    #[test]
    fn redacts_userinfo_and_tokens() {
        let u = url::Url::parse("https://bob:hunter2@h.example/ws?clientId=a&token=zzz").unwrap();
        let r = redact_url(&u);
        assert!(
            !r.contains("hunter2") && !r.contains("zzz") && !r.contains("bob"),
            "{r}"
        );
        assert!(r.contains("clientId=a"));
    }
}

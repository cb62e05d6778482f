//! OpenAI Chat Completions wire types.
//!
//! Every documented field is typed; every field this library does not know is kept in an
//! `extra` map and written back out untouched, so a request or response passes through
//! Kestrel without losing anything a newer SDK or provider added.

mod kestrel;
mod request;
mod response;

pub use kestrel::*;
pub use request::*;
pub use response::*;

/// Fields this library does not model, kept so they round-trip untouched.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Deserializes a field that is "a string or an array of `T`" (message content, Responses
/// input) by hand rather than `untagged`, so a wrong type names what was expected and an
/// error inside an element keeps its index in the path (`messages[0].content[2].type`).
pub(crate) fn text_or_list<'de, D, T, R>(
    d: D,
    expecting: &'static str,
    text: fn(String) -> R,
    list: fn(Vec<T>) -> R,
) -> Result<R, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct V<T, R> {
        expecting: &'static str,
        text: fn(String) -> R,
        list: fn(Vec<T>) -> R,
    }
    impl<'de, T: serde::Deserialize<'de>, R> serde::de::Visitor<'de> for V<T, R> {
        type Value = R;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<R, E> {
            Ok((self.text)(s.to_owned()))
        }
        fn visit_string<E: serde::de::Error>(self, s: String) -> Result<R, E> {
            Ok((self.text)(s))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<R, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(1));
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok((self.list)(items))
        }
    }
    d.deserialize_any(V { expecting, text, list })
}

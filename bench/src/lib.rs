//! Request builders shared by the benchmarks.

use kestrel_router::types::{ChatRequest, Message};

/// A realistic conversation of about `bytes` bytes: a system prompt, earlier turns, and a
/// final question, so the analyzer sees the structure real traffic has.
pub fn conversation(bytes: usize) -> ChatRequest {
    const TURNS: [&str; 4] = [
        "Our checkout service times out under load when the payment provider is slow. ",
        "We use Postgres with a connection pool of 20 and retry failed payments twice. ",
        "Could you compare a queue-based design with the current synchronous calls? ",
        "Please keep the answer practical and mention what to monitor in production. ",
    ];
    let mut messages = vec![Message::system("You are a senior backend engineer. Answer concisely.")];
    let mut used = messages[0].texts().map(str::len).sum::<usize>();
    let mut i = 0;
    while used < bytes {
        let mut text = String::new();
        while text.len() < 400.min(bytes - used.min(bytes)) + 1 {
            text.push_str(TURNS[i % TURNS.len()]);
            i += 1;
        }
        used += text.len();
        let role_user = messages.len() % 2 == 1;
        messages.push(if role_user { Message::user(text) } else { Message::assistant(text) });
    }
    if messages.last().is_some_and(|m| m.role != kestrel_router::types::Role::User) {
        messages.push(Message::user("What would you change first?"));
    }
    ChatRequest::new("gpt-4o", messages)
}

/// A typical short request of about 200 bytes.
pub fn short_request() -> ChatRequest {
    ChatRequest::new(
        "gpt-4o",
        vec![
            Message::system("You are a helpful assistant for an online store."),
            Message::user("Can you explain the difference between your standard and express shipping options, and which one is cheaper?"),
        ],
    )
}

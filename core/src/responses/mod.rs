//! The Responses API (`client.responses.create`), routed: a Responses request is expanded
//! (`previous_response_id` → the stored conversation), translated to a chat request, and
//! sent through the very pipeline chat uses (cache, routing with the requested model as
//! ceiling, failover, usage record); the chat answer comes back as a Response, or, streamed,
//! as Responses events.
//!
//! `types.rs` holds the wire types, `translate.rs` the mapping both ways, `stream.rs` the
//! event stream, `store.rs` the conversations behind `previous_response_id`.

pub(crate) mod store;
mod stream;
mod translate;
mod types;

use std::sync::Arc;

pub(crate) use store::ConversationStore;
pub use store::DEFAULT_CAPACITY;
pub use stream::ResponseStream;
pub use types::*;

use crate::client::{CallOptions, Client, Failure};
use crate::error::{Error, Result};
use crate::types::{ChatRequest, StreamOptions};

impl ResponsesRequest {
    /// Parses a JSON request body; type errors name the JSON path (`input[1].content`).
    pub fn from_json(body: &str) -> Result<Self> {
        let de = &mut serde_json::Deserializer::from_str(body);
        let req: ResponsesRequest = serde_path_to_error::deserialize(de).map_err(|e| path_error(&e))?;
        translate::validate(&req)?;
        Ok(req)
    }

    /// Like [`ResponsesRequest::from_json`] for an already-parsed value.
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        let req: ResponsesRequest = serde_path_to_error::deserialize(value).map_err(|e| path_error(&e))?;
        translate::validate(&req)?;
        Ok(req)
    }

    /// A request for `model` with text input and nothing else set.
    pub fn new(model: impl Into<String>, input: impl Into<String>) -> Self {
        ResponsesRequest { model: model.into(), input: Some(Input::Text(input.into())), ..Default::default() }
    }
}

fn path_error(e: &serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = e.path().to_string();
    let field = if path == "." { "body".to_string() } else { path };
    let msg = e.inner().to_string();
    let msg = msg.rfind(" at line ").map_or(msg.clone(), |i| msg[..i].to_string());
    Error::invalid(field, msg)
}

/// OpenAI's answer for an id it does not hold, raised before any network call.
fn unknown_previous(id: &str) -> Error {
    let message = format!("Previous response with id '{id}' not found.");
    let body = serde_json::json!({"error": {
        "message": message, "type": "invalid_request_error",
        "param": "previous_response_id", "code": "previous_response_not_found"
    }});
    Error::NotFound { provider: "kestrel".into(), message, body: Some(Box::new(body)) }
}

/// A request made ready for the chat pipeline.
struct Prepared {
    chat: ChatRequest,
    /// The whole conversation (history and this input), remembered with the answer.
    conversation: Vec<InputItem>,
    tenant: Option<String>,
}

impl Client {
    /// A Response, routed like [`Client::chat`]: the requested model is the ceiling.
    pub async fn responses(&self, req: ResponsesRequest) -> Result<Response> {
        self.responses_with(req, CallOptions::default()).await
    }

    /// [`Client::responses`] with per-call settings.
    pub async fn responses_with(&self, req: ResponsesRequest, opts: CallOptions) -> Result<Response> {
        self.try_responses(req, opts).await.map_err(|f| f.error)
    }

    /// [`Client::responses_with`], whose error comes with every provider attempt the call
    /// made and the provider's answer it comes from.
    pub async fn try_responses(
        &self,
        req: ResponsesRequest,
        opts: CallOptions,
    ) -> std::result::Result<Response, Failure> {
        let p = self.prepare_responses(&req)?;
        let mut answer = self.try_chat(p.chat, opts).await?;
        let exchange = answer.provider_response.take();
        let mut out = translate::from_chat(&req, answer);
        out.provider_response = exchange;
        if req.store != Some(false) {
            let mut items = p.conversation;
            items.extend(translate::output_as_input(&out.output));
            self.conversations().put(p.tenant, out.id.clone(), items);
        }
        Ok(out)
    }

    /// A streamed Response: events in the Responses vocabulary. Failover happens before
    /// the first event from a provider, as for [`Client::chat_stream`].
    pub async fn responses_stream(&self, req: ResponsesRequest) -> Result<ResponseStream> {
        self.responses_stream_with(req, CallOptions::default()).await
    }

    /// [`Client::responses_stream`] with per-call settings.
    pub async fn responses_stream_with(&self, req: ResponsesRequest, opts: CallOptions) -> Result<ResponseStream> {
        self.try_responses_stream(req, opts).await.map_err(|f| f.error)
    }

    /// [`Client::responses_stream_with`], whose error comes with every provider attempt
    /// made before the stream could start and the provider's answer it comes from.
    pub async fn try_responses_stream(
        &self,
        req: ResponsesRequest,
        opts: CallOptions,
    ) -> std::result::Result<ResponseStream, Failure> {
        let mut p = self.prepare_responses(&req)?;
        p.chat.stream = Some(true);
        p.chat.stream_options = Some(StreamOptions { include_usage: Some(true), ..Default::default() });
        let chat = self.try_chat_stream(p.chat, opts).await?;
        let skeleton = translate::skeleton(&req, translate::new_id("resp"), crate::clock::unix_secs());
        let remember = (req.store != Some(false)).then(|| stream::Remember {
            store: self.conversations().clone(),
            tenant: p.tenant,
            conversation: p.conversation,
        });
        Ok(ResponseStream::new(chat, skeleton, remember))
    }

    /// Why this request cannot be routed, if it cannot: it needs OpenAI's Responses API
    /// itself (its stored state, a built-in tool, an item only it knows, or a
    /// `previous_response_id` this client did not store). The bindings then send it
    /// unchanged through the official SDK, where the caller sent it, so such a call
    /// behaves exactly as without Kestrel; [`Client::responses`] refuses it.
    pub fn responses_passthrough(&self, req: &ResponsesRequest) -> Option<String> {
        let (field, why) = self.needs_openai(req)?;
        Some(format!("{field}: {why}"))
    }

    fn needs_openai(&self, req: &ResponsesRequest) -> Option<(String, String)> {
        translate::needs_openai(req).or_else(|| {
            let id = req.previous_response_id.as_deref()?;
            let tenant = self.tenant_of(req);
            let known = self.conversations().get(tenant.as_deref(), id).is_some();
            (!known).then(|| ("previous_response_id".into(), "not a response this client stored".into()))
        })
    }

    fn tenant_of(&self, req: &ResponsesRequest) -> Option<String> {
        req.kestrel.as_ref().and_then(|k| k.tenant.clone()).or_else(|| self.default_tenant())
    }

    /// Validates, expands `previous_response_id` and translates, all before any I/O.
    fn prepare_responses(&self, req: &ResponsesRequest) -> Result<Prepared> {
        translate::validate(req)?;
        if let Some((field, why)) = translate::needs_openai(req) {
            return Err(Error::invalid(field, format!("{why}: send it with OpenAI's own SDK (Kestrel's bindings do)")));
        }
        let tenant = self.tenant_of(req);
        let mut conversation = match &req.previous_response_id {
            Some(id) => {
                let history = self.conversations().get(tenant.as_deref(), id).ok_or_else(|| unknown_previous(id))?;
                history.to_vec()
            }
            None => Vec::new(),
        };
        conversation.extend(translate::input_items(req));
        let chat = translate::to_chat(req, &conversation)?;
        Ok(Prepared { chat, conversation, tenant })
    }

    fn conversations(&self) -> &Arc<ConversationStore> {
        self.response_store()
    }
}

package io.github.kestrelrouter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.kestrelrouter.ffi.ChatCompletion;
import io.github.kestrelrouter.ffi.ChatCompletionChunk;
import io.github.kestrelrouter.ffi.ChatCompletionCreateParams;
import io.github.kestrelrouter.ffi.SavingsReport;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The blocking API as Java code uses it, against the mock provider. */
class BlockingApiTest {
    @BeforeEach
    void reset() {
        MockProvider.INSTANCE.reset();
    }

    @Test
    void chatStreamAndUsageFromJava() {
        try (KestrelClient client = new KestrelClient(MockProvider.INSTANCE.config(true))) {
            ChatCompletionCreateParams params = ChatParams.builder()
                    .model("gpt-4o")
                    .addSystemMessage("Be brief.")
                    .addUserMessage("What is 2+2?")
                    .build();
            ChatCompletion r = client.chatBlocking(params);
            String text = r.getChoices().get(0).getMessage().getContent();
            assertEquals("Mock answer from " + r.getModel() + ": you said \"What is 2+2?\".", text);
            assertNotNull(r.getKestrel());
            assertEquals("gpt-4o", r.getKestrel().getRequestedModel());

            String streamed;
            try (Stream<ChatCompletionChunk> chunks = client.chatStreamBlocking(params)) {
                streamed = chunks.flatMap(c -> c.getChoices().stream())
                        .map(c -> c.getDelta().getContent() == null ? "" : c.getDelta().getContent())
                        .collect(Collectors.joining());
            }
            assertTrue(streamed.startsWith("Mock answer from "), streamed);

            client.flushUsageBlocking();
            SavingsReport savings = client.savings();
            assertEquals(2L, savings.getRequests());
            assertTrue(savings.getSavedUsd() > 0.0);
        }
    }

    @Test
    void errorsAreCheckedByClass() {
        try (KestrelClient client = new KestrelClient(MockProvider.INSTANCE.config(true))) {
            ChatCompletionCreateParams empty = ChatParams.builder().model("gpt-4o").build();
            InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> client.chatBlocking(empty));
            assertEquals("messages", e.getParam());
            assertEquals(List.of(), MockProvider.INSTANCE.chatRequests());
        }
    }
}

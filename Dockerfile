# faqbot in a container: built in Rust's image, run in a small Debian one as a user of its own,
# with the sentence-embedding model and the bundled knowledge inside (nothing is fetched at run
# time). The knowledge folder and the data folder are volumes; the token and the config come
# from the environment. See the README, "Deploy".
#
#   docker build -t faqbot .
#   docker run --rm faqbot faqbot ask "What happens during a therapeutic massage?"
#   docker run -d -e DISCORD_TOKEN=... -v faqbot-knowledge:/srv/faqbot/knowledge \
#       -v faqbot-data:/srv/faqbot/data faqbot
#
# compose.yaml does the last with one command.

FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /build
# Only what the binary is built from (.dockerignore keeps the rest out of the context).
# benches/ is named by Cargo.toml, which cargo checks even when it builds no benchmark.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin faqbot \
    && install -D --mode 0755 target/release/faqbot /out/faqbot

FROM docker.io/library/debian:bookworm-slim
# A system user owns the two folders faqbot writes; the program and the model stay root's.
RUN groupadd --system --gid 10001 faqbot \
    && useradd --system --uid 10001 --gid faqbot --home-dir /srv/faqbot --no-create-home \
        --shell /usr/sbin/nologin faqbot \
    && install -d --owner faqbot --group faqbot /srv/faqbot /srv/faqbot/data
# faqbot finds the model beside its binary (semantic.model_dir's default).
COPY --from=build /out/faqbot /opt/faqbot/faqbot
COPY models/all-minilm-l6-v2 /opt/faqbot/models/all-minilm-l6-v2
RUN ln -s /opt/faqbot/faqbot /usr/local/bin/faqbot
# The bundled knowledge: a new named volume starts with these files; replace them with the
# clinic's own.
COPY --chown=faqbot:faqbot knowledge /srv/faqbot/knowledge

ENV FAQBOT_KNOWLEDGE_DIR=/srv/faqbot/knowledge \
    FAQBOT_DATA_DIR=/srv/faqbot/data
WORKDIR /srv/faqbot
USER faqbot
VOLUME ["/srv/faqbot/knowledge", "/srv/faqbot/data"]
# `faqbot health` exits 1 unless the bot touched its heartbeat file (in the data folder) in
# the last 60 s, which it does every 10 s while connected to Discord. Start-up loads the model
# and embeds new knowledge first, hence the start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["faqbot", "health"]
# faqbot stops cleanly on the SIGTERM that `docker stop` sends.
CMD ["faqbot", "run"]

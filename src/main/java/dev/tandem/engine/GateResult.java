package dev.tandem.engine;

/** What a SQL gate answered: whether it holds, and what it saw when it does not. */
public record GateResult(boolean passed, String message) {
}

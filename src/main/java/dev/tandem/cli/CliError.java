package dev.tandem.cli;

/** A command cannot go on: one line for the user and the exit code (2 for bad input, 1 for a failure). */
final class CliError extends Exception {
    private final int exitCode;

    CliError(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    static CliError input(String message) {
        return new CliError(2, message);
    }

    int exitCode() {
        return exitCode;
    }
}

package dev.tandem.cli;

import dev.tandem.engine.Redaction;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * The command line of the one binary, as {@link TandemMain} runs it and the tests drive it: enum
 * values case-insensitive, and every failure one line that names what to fix — never a stack
 * trace, a Java class name or a credential.
 */
public final class Cli {
    private Cli() {
    }

    public static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cli = factory == null ? new CommandLine(TandemCommand.class) : new CommandLine(TandemCommand.class, factory);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("error: " + Redaction.scrub(e.getMessage()));
            err.println("(see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            PrintWriter err = command.getErr();
            String message = e.getMessage() == null || e.getMessage().isBlank() ? "an unexpected error" : e.getMessage();
            err.println("error: " + Redaction.scrub(message.lines().findFirst().orElse(message)));
            return 1;
        });
        return cli;
    }
}

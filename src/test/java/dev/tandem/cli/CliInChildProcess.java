package dev.tandem.cli;

/** The command line in a JVM of its own, to be interrupted as a person or Kubernetes would. */
public final class CliInChildProcess {
    private CliInChildProcess() {
    }

    public static void main(String[] args) {
        System.exit(Cli.commandLine(null).execute(args));
    }
}

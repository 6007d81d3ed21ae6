package dev.tandem.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;
import picocli.CommandLine;

/**
 * Entry point of the one binary: {@code tandem plan|run|operator}. Only {@code operator} serves
 * HTTP (health and metrics); the local commands open no port.
 */
@QuarkusMain
public class TandemMain implements QuarkusApplication {
    @Inject
    CommandLine.IFactory factory;

    public static void main(String... args) {
        boolean operator = args.length > 0 && "operator".equals(args[0]);
        if (!operator) {
            System.setProperty("quarkus.http.host-enabled", "false");
        }
        Quarkus.run(TandemMain.class, args);
    }

    @Override
    public int run(String... args) {
        return Cli.commandLine(factory).execute(args);
    }
}

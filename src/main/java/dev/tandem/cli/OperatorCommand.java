package dev.tandem.cli;

import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.Quarkus;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "operator", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Run the Kubernetes operator (the container's command). Serves /q/health and /q/metrics on :8080.")
public class OperatorCommand implements Callable<Integer> {
    @Inject
    Operator operator;

    @Override
    public Integer call() {
        operator.start();
        Quarkus.waitForExit();
        return 0;
    }
}

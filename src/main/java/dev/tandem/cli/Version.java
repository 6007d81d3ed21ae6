package dev.tandem.cli;

import picocli.CommandLine;

/**
 * The version every command prints with --version: the project's version, as the build records
 * it in quarkus.application.version.
 */
public final class Version implements CommandLine.IVersionProvider {
    static String current() {
        try {
            return org.eclipse.microprofile.config.ConfigProvider.getConfig()
                    .getOptionalValue("quarkus.application.version", String.class).orElse("unknown");
        } catch (RuntimeException | LinkageError e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[]{"tandem " + current()};
    }
}

package dev.tandem.cli;

import picocli.CommandLine.Command;

@Command(name = "tandem", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Online, zero-downtime PostgreSQL schema migrations: expand, sync, backfill, verify, "
                + "cut over, contract.",
        subcommands = {PlanCommand.class, RunCommand.class, BackfillCommand.class, VerifyCommand.class,
                OperatorCommand.class, StatusCommand.class})
public class TandemCommand {
}

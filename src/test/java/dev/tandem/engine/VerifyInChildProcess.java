package dev.tandem.engine;

import dev.tandem.plan.VerifyTuning;

/** Runs pass 1 of the verification of {@link VerifierTest#usersPlan()} in a process of its own, to be killed. */
public final class VerifyInChildProcess {
    public static void main(String[] args) throws Exception {
        DatabaseTarget db = DatabaseTarget.ofJdbcUrl(args[0], args.length > 1 ? args[1] : null,
                System.getenv("CHILD_DB_PASSWORD"));
        new Verifier(db, EngineSettings.defaults("child"), VerifyTuning.defaults().withChunkSize(500))
                .run(VerifierTest.usersPlan(), 1, "", Verifier.Listener.NONE);
    }
}

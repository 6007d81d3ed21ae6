package dev.tandem.api.v1alpha1;

/** The database steps of a migration, in the order they run. Their names key the ledger. */
public enum Step {
    EXPAND("expand"),
    BACKFILL("backfill"),
    VERIFY("verify"),
    CUTOVER("cutover"),
    CONTRACT("contract"),
    ROLLBACK("rollback");

    private final String key;

    Step(String key) {
        this.key = key;
    }

    /** The name stored in the ledger. */
    public String key() {
        return key;
    }

    public static Step ofKey(String key) {
        for (Step s : values()) {
            if (s.key.equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown step " + key);
    }

    /** The step that must have committed before this one, or null. Rollback needs expand only if it ran. */
    public Step requires() {
        return switch (this) {
            case EXPAND, ROLLBACK -> null;
            case BACKFILL -> EXPAND;
            case VERIFY -> BACKFILL;
            case CUTOVER -> VERIFY;
            case CONTRACT -> CUTOVER;
        };
    }
}

package dev.tandem.plan;

/** PostgreSQL table lock modes, weakest first, plus NONE for statements that lock no existing table. */
public enum LockLevel {
    NONE("no table lock"),
    ACCESS_SHARE("ACCESS SHARE"),
    ROW_SHARE("ROW SHARE"),
    ROW_EXCLUSIVE("ROW EXCLUSIVE"),
    SHARE_UPDATE_EXCLUSIVE("SHARE UPDATE EXCLUSIVE"),
    SHARE("SHARE"),
    SHARE_ROW_EXCLUSIVE("SHARE ROW EXCLUSIVE"),
    EXCLUSIVE("EXCLUSIVE"),
    ACCESS_EXCLUSIVE("ACCESS EXCLUSIVE");

    private final String sqlName;

    LockLevel(String sqlName) {
        this.sqlName = sqlName;
    }

    public String sqlName() {
        return sqlName;
    }

    /** True when ordinary reads or writes of the locked table wait for it. */
    public boolean blocksWrites() {
        return compareTo(SHARE) >= 0;
    }

    public static LockLevel strongest(LockLevel a, LockLevel b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}

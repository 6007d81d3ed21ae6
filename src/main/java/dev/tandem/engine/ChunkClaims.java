package dev.tandem.engine;

import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Which worker compares a chunk of an entry: the one holding the chunk's session lock. A worker
 * takes its own chunks in key order; once they are all taken it helps, taking the highest chunk
 * not compared yet of a worker that is still running (one holding its presence lock), so that the
 * two meet in the middle of the owner's share. Session locks go with the connection: the chunks of a
 * worker that died are free again, and wait for it unless a running worker is helping.
 */
final class ChunkClaims {
    private final Connection c;
    private final Ledger ledger;
    private final MigrationPlan plan;
    private final int pass;
    private final CompiledSync entry;
    private final int worker;
    private final int workers;

    ChunkClaims(Connection c, Ledger ledger, MigrationPlan plan, int pass, CompiledSync entry, int worker, int workers) {
        this.c = c;
        this.ledger = ledger;
        this.plan = plan;
        this.pass = pass;
        this.entry = entry;
        this.worker = worker;
        this.workers = workers;
    }

    /** The lock a worker holds while it runs the pass. */
    static String presence(MigrationPlan plan, int pass, int worker, int workers) {
        return plan.key() + "#verify-worker#" + pass + "#" + worker + "/" + workers;
    }

    /** The lock a worker holds while it compares the entry whole or cuts its chunks. */
    static String entry(MigrationPlan plan, int pass, CompiledSync entry) {
        return plan.key() + "#verify-entry#" + pass + "#" + entry.index();
    }

    /** The lock a worker holds while it compares the chunk. */
    static String chunk(MigrationPlan plan, int pass, CompiledSync entry, int chunk) {
        return plan.key() + "#verify-chunk#" + pass + "#" + entry.index() + "#" + chunk;
    }

    private String key(int chunk) {
        return chunk(plan, pass, entry, chunk);
    }

    /** Takes the chunk: false when another worker holds it or has compared it meanwhile (it is not held then). */
    boolean claim(int chunk) throws SQLException {
        if (!ledger.trySessionLock(c, key(chunk))) {
            return false;
        }
        if (VerifyChunks.done(c, ledger, plan, pass, entry, chunk)) {
            release(chunk);
            return false;
        }
        return true;
    }

    void release(int chunk) throws SQLException {
        ledger.sessionUnlock(c, key(chunk));
    }

    /** Takes the highest chunk left of another worker that is running, or returns null when there is none to take. */
    VerifyChunks.Bounds claimToHelp() throws SQLException {
        Map<Integer, Boolean> running = new HashMap<>();
        for (VerifyChunks.Bounds b : VerifyChunks.othersLeft(c, ledger, plan, pass, entry, worker, workers)) {
            int owner = Math.floorMod(b.chunk() + entry.index(), workers);
            Boolean runs = running.get(owner);
            if (runs == null) {
                runs = running(owner);
                running.put(owner, runs);
            }
            if (runs && claim(b.chunk())) {
                return b;
            }
        }
        return null;
    }

    private boolean running(int owner) throws SQLException {
        String lock = presence(plan, pass, owner, workers);
        if (ledger.trySessionLock(c, lock)) {
            ledger.sessionUnlock(c, lock);
            return false;
        }
        return true;
    }
}

package dev.tandem.operator;

import dev.tandem.engine.Redaction;
import io.quarkus.logging.LoggingFilter;
import org.jboss.logmanager.ExtLogRecord;

import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * Keeps credentials out of the log whoever writes the line (the operator, the operator SDK, the
 * Kubernetes client, the JDBC driver): the message, its parameters and a thrown exception's
 * messages are scrubbed by {@link Redaction} before the console prints them.
 */
@LoggingFilter(name = RedactingLogFilter.NAME)
public final class RedactingLogFilter implements Filter {
    public static final String NAME = "tandem-redaction";

    @Override
    public boolean isLoggable(LogRecord record) {
        String message = record.getMessage();
        if (message != null) {
            String scrubbed = Redaction.scrub(message);
            if (!scrubbed.equals(message)) {
                // ExtLogRecord.setMessage(String) would also switch the record to MessageFormat: a printf-style
                // line (Log.infof) would then print its bare format, %s and all.
                if (record instanceof ExtLogRecord ext) {
                    ext.setMessage(scrubbed, ext.getFormatStyle());
                } else {
                    record.setMessage(scrubbed);
                }
            }
        }
        Object[] parameters = record.getParameters();
        if (parameters != null) {
            for (int i = 0; i < parameters.length; i++) {
                if (parameters[i] != null && !(parameters[i] instanceof Number)) {
                    String text = String.valueOf(parameters[i]);
                    String scrubbed = Redaction.scrub(text);
                    if (!scrubbed.equals(text)) {
                        parameters[i] = scrubbed;
                    }
                }
            }
        }
        if (record.getThrown() != null && leaks(record.getThrown())) {
            record.setThrown(scrubbed(record.getThrown()));
        }
        return true;
    }

    private static boolean leaks(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.equals(Redaction.scrub(m))) {
                return true;
            }
        }
        return false;
    }

    /** A copy of the chain with scrubbed messages and the same stack traces. */
    private static Throwable scrubbed(Throwable t) {
        Throwable cause = t.getCause() == null || t.getCause() == t ? null : scrubbed(t.getCause());
        Throwable copy = new RuntimeException(t.getClass().getName() + ": " + Redaction.scrub(t.getMessage()), cause);
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }
}

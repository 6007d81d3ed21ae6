package dev.tandem.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** A progress line redraws in place only on a terminal; a log gets whole lines, one per 10 % or 5 s. */
class ProgressTest {
    private static String drive(boolean terminal) {
        StringWriter text = new StringWriter();
        InProcessWorkers.Progress progress = new InProcessWorkers.Progress(new PrintWriter(text), terminal);
        for (int percent = 0; percent < 100; percent++) {
            int p = percent;
            progress.update(() -> new InProcessWorkers.Progress.Status(p, "Copying " + p + "%"));
        }
        progress.done("Copied");
        return text.toString();
    }

    @Test
    void aLogGetsALineEveryTenPercentAndNoCarriageReturn() {
        String log = drive(false);
        assertThat(log).doesNotContain("\r");
        assertThat(log.lines()).containsExactly("  Copying 0%", "  Copying 10%", "  Copying 20%", "  Copying 30%",
                "  Copying 40%", "  Copying 50%", "  Copying 60%", "  Copying 70%", "  Copying 80%", "  Copying 90%",
                "  Copied");
    }

    @Test
    void aTerminalGetsOneLineRedrawnInPlace() {
        String screen = drive(true);
        assertThat(screen).startsWith("\r  Copying 0%").contains("\r  Copied");
        assertThat(screen.chars().filter(c -> c == '\n').count()).as("one line").isEqualTo(1);
    }

    @Test
    void etaIsReadable() {
        assertThat(InProcessWorkers.Progress.eta(-1)).isEqualTo("unknown");
        assertThat(InProcessWorkers.Progress.eta(42)).isEqualTo("42s");
        assertThat(InProcessWorkers.Progress.eta(125)).isEqualTo("2m5s");
    }
}

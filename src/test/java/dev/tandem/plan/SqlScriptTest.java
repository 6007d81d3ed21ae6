package dev.tandem.plan;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SqlScriptTest {

    @Test
    void splitsAtTopLevelSemicolonsAndStripsSurroundingWhitespace() {
        assertThat(SqlScript.split("CREATE TABLE a (id int);\n  ALTER TABLE a ADD COLUMN b int ;\nSELECT 1;"))
                .containsExactly("CREATE TABLE a (id int)", "ALTER TABLE a ADD COLUMN b int", "SELECT 1");
    }

    @Test
    void keepsTrailingStatementWithoutSemicolon() {
        assertThat(SqlScript.split("SELECT 1; SELECT 2")).containsExactly("SELECT 1", "SELECT 2");
    }

    @Test
    void dropsEmptyStatements() {
        assertThat(SqlScript.split(";; SELECT 1;;\n ;  SELECT 2;  ;")).containsExactly("SELECT 1", "SELECT 2");
    }

    @Test
    void nullOrBlankInputGivesNoStatements() {
        assertThat(SqlScript.split(null)).isEmpty();
        assertThat(SqlScript.split("")).isEmpty();
        assertThat(SqlScript.split("  \n\t ")).isEmpty();
    }

    @Test
    void dropsCommentOnlyChunks() {
        assertThat(SqlScript.split("-- just a note\n;/* another */; SELECT 1; -- trailing note\n/* end */"))
                .containsExactly("SELECT 1");
    }

    @Test
    void keepsSemicolonInsideSingleQuotedStringWithDoubledQuoteEscape() {
        String sql = "INSERT INTO t VALUES ('it''s; fine'); SELECT 2";
        assertThat(SqlScript.split(sql)).containsExactly("INSERT INTO t VALUES ('it''s; fine')", "SELECT 2");
    }

    @Test
    void keepsSemicolonInsideEscapeStringWithBackslashQuote() {
        String sql = "INSERT INTO t VALUES (E'it\\'s; still; one'); SELECT 2";
        assertThat(SqlScript.split(sql)).containsExactly("INSERT INTO t VALUES (E'it\\'s; still; one')", "SELECT 2");
    }

    @Test
    void lowercaseEscapeStringPrefixIsRecognised() {
        String sql = "SELECT e'a\\';b'; SELECT 2";
        assertThat(SqlScript.split(sql)).containsExactly("SELECT e'a\\';b'", "SELECT 2");
    }

    @Test
    void backslashInOrdinaryStringIsNotAnEscape() {
        // standard_conforming_strings: 'C:\' is a complete literal; the next ; ends the statement
        assertThat(SqlScript.split("SELECT 'C:\\'; SELECT 2")).containsExactly("SELECT 'C:\\'", "SELECT 2");
    }

    @Test
    void keepsSemicolonInsideDoubleQuotedIdentifier() {
        String sql = "CREATE TABLE \"odd;name\" (\"a\"\"b;\" int); SELECT 2";
        assertThat(SqlScript.split(sql)).containsExactly("CREATE TABLE \"odd;name\" (\"a\"\"b;\" int)", "SELECT 2");
    }

    @Test
    void keepsDollarQuotedFunctionBodyWhole() {
        String fn = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.b := NEW.a;\n  RETURN NEW;\nEND\n$$ LANGUAGE plpgsql";
        assertThat(SqlScript.split(fn + ";\nSELECT 2;")).containsExactly(fn, "SELECT 2");
    }

    @Test
    void keepsTaggedDollarQuotedBodyWithNestedDoubleDollarWhole() {
        String fn = "CREATE FUNCTION g() RETURNS void AS $body$\nBEGIN\n  EXECUTE $$SELECT 1; SELECT 2$$;\n"
                + "  PERFORM 'x;y';\nEND;\n$body$ LANGUAGE plpgsql";
        assertThat(SqlScript.split(fn + "; SELECT 3")).containsExactly(fn, "SELECT 3");
    }

    @Test
    void positionalParameterIsNotADollarQuote() {
        assertThat(SqlScript.split("PREPARE p AS SELECT $1; SELECT 2"))
                .containsExactly("PREPARE p AS SELECT $1", "SELECT 2");
    }

    @Test
    void dollarInsideIdentifierIsNotADollarQuote() {
        assertThat(SqlScript.split("SELECT a$b$ FROM t; SELECT 2")).containsExactly("SELECT a$b$ FROM t", "SELECT 2");
    }

    @Test
    void ignoresSemicolonsAndQuotesInLineComments() {
        String sql = "SELECT 1 -- don't split; here\nFROM t; SELECT 2";
        assertThat(SqlScript.split(sql)).containsExactly("SELECT 1 -- don't split; here\nFROM t", "SELECT 2");
    }

    @Test
    void ignoresSemicolonsInNestedBlockComments() {
        String sql = "SELECT /* outer; /* inner; */ still comment; */ 1; SELECT 2";
        assertThat(SqlScript.split(sql)).containsExactly("SELECT /* outer; /* inner; */ still comment; */ 1", "SELECT 2");
    }

    @Test
    void leadingCommentStaysWithTheStatementItPrecedes() {
        assertThat(SqlScript.split("SELECT 1;\n-- add b\nALTER TABLE t ADD COLUMN b int;"))
                .containsExactly("SELECT 1", "-- add b\nALTER TABLE t ADD COLUMN b int");
    }

    @Test
    void stripCommentsRemovesLineAndNestedBlockCommentsAndCollapsesWhitespace() {
        assertThat(SqlScript.stripComments("-- lead\n  CREATE /* a /* b */ c */ INDEX\n\tCONCURRENTLY -- tail\n i ON t (a)"))
                .isEqualTo("CREATE INDEX CONCURRENTLY i ON t (a)");
    }

    @Test
    void stripCommentsKeepsCommentMarkersInsideStringsAndIdentifiers() {
        assertThat(SqlScript.stripComments("SELECT '-- not /* a */ comment', \"--x\" FROM t -- real"))
                .isEqualTo("SELECT '-- not /* a */ comment', \"--x\" FROM t");
    }

    @Test
    void stripCommentsOfCommentOnlyTextIsEmpty() {
        assertThat(SqlScript.stripComments("-- a\n/* b */\n")).isEmpty();
    }
}

package dev.rabbithole.stage1.client;

import java.util.ArrayList;
import java.util.List;

/**
 * A text table laid out as the docker CLI lays out {@code ps} and {@code images}: every column but the
 * last is as wide as its widest cell plus three spaces, and at least ten characters; the last column is
 * not padded. Widths count Unicode code points, so the ellipsis {@code …} is one character.
 */
public final class Table {
    private static final int MIN_WIDTH = 10;
    private static final int PADDING = 3;

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    /**
     * @param headers the header row (for example {@code CONTAINER ID}, {@code IMAGE}, ...)
     */
    public Table(String... headers) {
        this.columns = headers.length;
        rows.add(headers.clone());
    }

    /**
     * Adds a data row.
     *
     * @param cells one cell per header; {@code null} prints as empty
     * @return this table
     * @throws IllegalArgumentException when the number of cells differs from the number of headers
     */
    public Table row(String... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
        }
        rows.add(cells.clone());
        return this;
    }

    /** @return the table as lines separated and terminated by {@code \n}, header first */
    public String render() {
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns - 1; c++) {
                width[c] = Math.max(width[c], Math.max(MIN_WIDTH, length(row[c]) + PADDING));
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                String cell = row[c] == null ? "" : row[c];
                line.append(cell);
                if (c < columns - 1) {
                    line.append(" ".repeat(width[c] - length(cell)));
                }
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    private static int length(String s) {
        return s == null ? 0 : s.codePointCount(0, s.length());
    }
}

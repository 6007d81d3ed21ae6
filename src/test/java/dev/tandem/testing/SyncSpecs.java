package dev.tandem.testing;

import dev.tandem.api.v1alpha1.SyncSource;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.api.v1alpha1.SyncTarget;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builders for sync entries in tests. */
public final class SyncSpecs {
    private SyncSpecs() {
    }

    public static SyncSpec entry(String name, String from, List<String> fromKey, String where, String to,
                                 List<String> toKey, Map<String, String> columns) {
        SyncSpec s = new SyncSpec();
        s.setName(name);
        SyncSource src = new SyncSource();
        src.setTable(from);
        src.setKey(fromKey);
        src.setWhere(where);
        s.setFrom(src);
        SyncTarget t = new SyncTarget();
        t.setTable(to);
        t.setKey(toKey);
        s.setTo(t);
        s.setColumns(new LinkedHashMap<>(columns));
        return s;
    }
}

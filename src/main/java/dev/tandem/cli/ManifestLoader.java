package dev.tandem.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tandem.api.v1alpha1.SchemaMigration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Reads a SchemaMigration manifest from a YAML file, with errors that name the field. */
public final class ManifestLoader {
    private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ManifestLoader() {
    }

    public static SchemaMigration load(Path file) throws ManifestException {
        if (!Files.isRegularFile(file)) {
            throw new ManifestException(file + ": no such file");
        }
        try {
            List<JsonNode> docs = YAML.readValues(YAML.createParser(file.toFile()), JsonNode.class).readAll();
            List<JsonNode> migrations = docs.stream()
                    .filter(d -> d != null && SchemaMigration.KIND.equals(d.path("kind").asText()))
                    .toList();
            if (migrations.size() != 1) {
                throw new ManifestException(file + ": expected exactly one document with kind: SchemaMigration, found "
                        + migrations.size());
            }
            JsonNode doc = migrations.get(0);
            if (!SchemaMigration.API_VERSION.equals(doc.path("apiVersion").asText())) {
                throw new ManifestException(file + ": apiVersion must be " + SchemaMigration.API_VERSION);
            }
            SchemaMigration m = YAML.treeToValue(doc, SchemaMigration.class);
            if (m.getMetadata() == null || m.getMetadata().getName() == null) {
                throw new ManifestException(file + ": metadata.name is missing");
            }
            if (m.getMetadata().getNamespace() == null) {
                m.getMetadata().setNamespace("default");
            }
            return m;
        } catch (UnrecognizedPropertyException e) {
            throw new ManifestException(file + ": unknown field " + path(e) + "; check its spelling against "
                    + "'kubectl explain schemamigration.spec'");
        } catch (JsonMappingException e) {
            throw new ManifestException(file + ": invalid value at " + path(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ManifestException(file + ": not valid YAML: " + e.getMessage());
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    /** A manifest that cannot be used; the message names the file and the field. */
    public static final class ManifestException extends Exception {
        public ManifestException(String message) {
            super(message);
        }
    }
}

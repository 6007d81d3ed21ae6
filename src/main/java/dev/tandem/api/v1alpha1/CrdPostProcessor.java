package dev.tandem.api.v1alpha1;

import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;

import java.util.Comparator;
import java.util.List;

/**
 * Build-time touch to the generated CRD: printer columns in reading order (the generator sorts
 * them by JSON path), Age last among the default columns as kubectl users expect.
 */
public class CrdPostProcessor implements CRDPostProcessor {
    static final List<String> ORDER = List.of("Target", "Phase", "Step", "Progress", "Ready", "Reversible", "Age", "Rows",
            "ETA", "Mismatches", "Plan", "Message");

    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
        if (crd instanceof CustomResourceDefinition v1) {
            v1.getSpec().getVersions().forEach(version -> {
                if (version.getAdditionalPrinterColumns() != null) {
                    version.getAdditionalPrinterColumns().sort(Comparator.comparingInt(
                            (CustomResourceColumnDefinition c) -> ORDER.indexOf(c.getName()) < 0 ? ORDER.size()
                                    : ORDER.indexOf(c.getName())));
                }
            });
        }
        return crd;
    }
}

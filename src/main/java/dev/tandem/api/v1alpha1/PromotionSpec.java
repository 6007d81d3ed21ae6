package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A promotion across the point of no return, bound to a reviewed plan. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PromotionSpec {
    @JsonPropertyDescription("Must equal status.plan.hash (also printed by 'tandem plan -f FILE') for targetPhase "
            + "CutOver and Contracted: the promotion is bound to the plan a reviewer saw.")
    private String planHash;

    @JsonPropertyDescription("Optional link to the review or change request behind this promotion; copied into status.history.")
    private String reference;

    public String getPlanHash() { return planHash; }
    public void setPlanHash(String planHash) { this.planHash = planHash; }
    public String getReference() { return reference; }
    public void setReference(String reference) { this.reference = reference; }
}

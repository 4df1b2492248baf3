"""What a run measures, as numbers: angles, accuracies and ROC (`metrics`), typed records per model and over
seeds (`evaluate`), the paper's bound on m (`mbound`), one knob over seeds (`sweep`)."""

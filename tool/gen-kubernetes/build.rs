//! Names the Kubernetes version chosen by cargo feature, for `main`.
fn main() {
    let versions = ["1_33", "1_34", "1_35", "1_36", "1_37"];
    let chosen: Vec<&str> = versions
        .iter()
        .copied()
        .filter(|v| std::env::var_os(format!("CARGO_FEATURE_V{v}")).is_some())
        .collect();
    assert_eq!(chosen.len(), 1, "choose exactly one version feature, such as --features v1_34");
    println!("cargo:rustc-env=KUBERNETES_VERSION={}", chosen[0].replace('_', "."));
}

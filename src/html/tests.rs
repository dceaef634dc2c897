use super::matrix::role_of;
use super::*;
use serde::Serialize;

// The digest of "abc" is FIPS 180-2's first SHA-256 vector; its base64 is what
// `printf abc | openssl dgst -sha256 -binary | base64` prints.
// The page shows roles once `HostVendor` has the contract's `role` field, whatever its
// Rust type: read through serde, as the JSON report writes it.
#[test]
fn role_is_read_from_the_serialized_field() {
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Role {
        Visitor,
    }
    #[derive(Serialize)]
    struct WithRole {
        role: Role,
        vendor: &'static str,
    }
    #[derive(Serialize)]
    struct Without {
        vendor: &'static str,
    }
    let with = WithRole {
        role: Role::Visitor,
        vendor: "zendesk",
    };
    assert_eq!(role_of(&with).as_deref(), Some("visitor"));
    assert_eq!(role_of(&Without { vendor: "zendesk" }), None);
}

#[test]
fn csp_hash_is_base64_sha256() {
    assert_eq!(
        csp_hash("abc"),
        "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='"
    );
}

use super::*;

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(Path::new("/app/spin.toml"), text)
}

const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "shop"
[variables]
token = { secret = true, required = true }
region = { default = "eu" }
[[trigger.http]]
route = "/api/..."
component = "api"
[[trigger.http]]
route = { private = true }
component = "inner"
[component.api]
source = "target/api.wasm"
allowed_outbound_hosts = ["http://inner.spin.internal"]
key_value_stores = ["default"]
[component.api.variables]
token = "{{ token }}"
where = "in-{{ region }}"
[component.inner]
source = "/abs/inner.wasm"
"#;

#[test]
fn parses_a_valid_manifest() {
    let m = parse(MINIMAL).unwrap();
    assert_eq!(m.name, "shop");
    assert_eq!(
        m.components["api"].source,
        PathBuf::from("/app/target/api.wasm")
    );
    assert_eq!(
        m.components["inner"].source,
        PathBuf::from("/abs/inner.wasm")
    );
    assert_eq!(m.http_triggers[1].route, Route::Private);
    assert!(m.variables["token"].secret && m.variables["token"].required);
    assert_eq!(m.components["api"].variables.len(), 2);
}

fn error_of(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn errors_name_file_key_and_problem() {
    let unknown_field = error_of(&MINIMAL.replace("key_value_stores", "key_value_store"));
    assert!(unknown_field.contains("/app/spin.toml"), "{unknown_field}");
    assert!(unknown_field.contains("component.api"), "{unknown_field}");
    assert!(unknown_field.contains("key_value_store"), "{unknown_field}");

    let missing = error_of(&MINIMAL.replace("component = \"inner\"", "component = \"nope\""));
    assert!(
        missing.contains("trigger.http[1].component") && missing.contains("nope"),
        "{missing}"
    );

    let undefined_var = error_of(&MINIMAL.replace("in-{{ region }}", "{{ zone }}"));
    assert!(
        undefined_var.contains("component.api.variables.where") && undefined_var.contains("zone"),
        "{undefined_var}"
    );

    let syntax = error_of("spin_manifest_version = ");
    assert!(syntax.contains("/app/spin.toml"), "{syntax}");

    let version = error_of(&MINIMAL.replace("= 2", "= 1"));
    assert!(version.contains("spin_manifest_version"), "{version}");

    let no_default = error_of(&MINIMAL.replace("region = { default = \"eu\" }", "region = {}"));
    assert!(
        no_default.contains("variables.region") && no_default.contains("required"),
        "{no_default}"
    );

    let route = error_of(&MINIMAL.replace("\"/api/...\"", "\"api\""));
    assert!(route.contains("trigger.http[0].route"), "{route}");

    let bad_id = error_of(
        &MINIMAL
            .replace("[component.inner]", "[component.Inner]")
            .replace("\"inner\"", "\"Inner\""),
    );
    assert!(bad_id.contains("component.Inner"), "{bad_id}");
}

#[test]
fn redis_triggers_need_an_address() {
    let text = format!("{MINIMAL}\n[[trigger.redis]]\nchannel = \"c\"\ncomponent = \"inner\"\n");
    assert!(error_of(&text).contains("application.trigger.redis.address"));
    let with_address = text.replace(
        "[application]\nname = \"shop\"",
        "[application]\nname = \"shop\"\n[application.trigger.redis]\naddress = \"redis://127.0.0.1:6379\"",
    );
    let m = parse(&with_address).unwrap();
    assert_eq!(m.redis_triggers.len(), 1);
}

#[test]
fn reads_its_own_tool_table_and_ignores_others() {
    let with_tools = format!(
        "{MINIMAL}[component.inner.tool.wasmart]\nmax_body_bytes = 4096\n[component.inner.tool.spin-test]\nsource = \"t.wasm\"\n"
    );
    let m = parse(&with_tools).unwrap();
    assert_eq!(m.components["inner"].max_body_bytes, Some(4096));
    assert_eq!(m.components["api"].max_body_bytes, None);

    let typo = error_of(&with_tools.replace("max_body_bytes =", "max_body_byte ="));
    assert!(
        typo.contains("component.inner.tool.wasmart") && typo.contains("max_body_byte"),
        "{typo}"
    );
}

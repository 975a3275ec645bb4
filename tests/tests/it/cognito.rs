//! The operator sign-in chain on moto's cognito-idp (AWS_ENDPOINT_URL, started
//! by scripts/test): the template's `OperatorUserPool`, `OperatorsGroup` and
//! `OperatorConsoleClient` created from their Properties as written in
//! infra/template.yaml (every property mapped, or listed here as one moto
//! cannot take), an operator made and signed in through the pool's challenges
//! (new password under the pool's policy, TOTP enrolment), and the access
//! token's claims handed to the admin function the way the HTTP API's JWT
//! authorizer hands them: a member of `operators` gets the list, a user
//! outside the group gets 403 `forbidden`, and the audit names the operator
//! by the address the pool's directory gives for the token's username.
//!
//! A property of the pool, the group or the client that this file does not
//! know fails the test, so a change to their shape in the template has to be
//! looked at here.

use super::template::{resources, template};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::Credentials;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AdminCreateUserConfigType, AdvancedSecurityModeType, AttributeType,
    AuthFlowType, AuthenticationResultType, ChallengeNameType, DeletionProtectionType, ExplicitAuthFlowsType,
    MessageActionType, OAuthFlowType, PasswordPolicyType, PreventUserExistenceErrorTypes,
    RecoveryOptionNameType, RecoveryOptionType, SoftwareTokenMfaConfigType, TimeUnitsType,
    TokenValidityUnitsType, UserPoolAddOnsType, UserPoolMfaType, UserPoolPolicyType, UserPoolTierType,
    UsernameAttributeType, VerifiedAttributeType,
};
use serde_json::{Map, Value, json};
use shared::domain::Role;
use shared::store::Store;
use shared::store::sqlite::SqliteStore;
use std::collections::BTreeMap;
use std::sync::Arc;

const REGION: &str = "ap-northeast-1";
/// A deployment with `PublicBaseUrl` set (docs/deploy.md): the console
/// client's code grant and callbacks are on (its `Fn::If` branches).
const PUBLIC_BASE_URL: &str = "https://partners.example.jp";
/// What the pool's policy asks for: 14+ characters, every class.
const STRONG_PASSWORD: &str = "Kaisha-Touroku-2026!";
/// moto's verify-software-token and SOFTWARE_TOKEN_MFA take any code (unless
/// the server runs with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP).
const TOTP_CODE: &str = "123456";

// ------------------------------------------------------------------ the template

/// The values CloudFormation would substitute: parameters, pseudo
/// parameters, conditions, and the physical ids of what is created so far.
struct Stack {
    template: Value,
    parameters: BTreeMap<&'static str, String>,
    refs: BTreeMap<String, String>,
}

impl Stack {
    fn new() -> Stack {
        let parameters = BTreeMap::from([
            ("AWS::Region", REGION.to_owned()),
            ("AWS::StackName", test_support::unique("cognito-it")),
            ("PublicBaseUrl", PUBLIC_BASE_URL.to_owned()),
        ]);
        Stack { template: template(), parameters, refs: BTreeMap::new() }
    }

    fn properties(&self, logical_id: &str, kind: &str) -> Map<String, Value> {
        let resource = &resources(&self.template)[logical_id];
        assert_eq!(resource["Type"], kind, "{logical_id}");
        match self.resolve(&resource["Properties"]) {
            Some(Value::Object(properties)) => properties,
            other => panic!("{logical_id}: Properties {other:?}"),
        }
    }

    fn reference(&self, name: &str) -> Option<String> {
        if name == "AWS::NoValue" {
            return None;
        }
        if let Some(value) = self.parameters.get(name).or_else(|| self.refs.get(name)) {
            return Some(value.clone());
        }
        let default = &self.template["Parameters"][name]["Default"];
        match default {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => panic!("!Ref {name}: not a parameter with a default, nor created yet"),
        }
    }

    /// `value` with its intrinsic functions evaluated; `None` is `AWS::NoValue`.
    fn resolve(&self, value: &Value) -> Option<Value> {
        match value {
            Value::Array(items) => Some(Value::Array(items.iter().filter_map(|v| self.resolve(v)).collect())),
            Value::Object(map) if map.len() == 1 => {
                let (name, argument) = map.iter().next().unwrap();
                match name.as_str() {
                    "Ref" => self.reference(argument.as_str().unwrap()).map(Value::String),
                    "Fn::Sub" => {
                        Some(Value::String(self.sub(argument.as_str().expect("!Sub with a string"))))
                    }
                    "Fn::If" => {
                        let [condition, then, otherwise] = argument.as_array().unwrap().as_slice() else {
                            panic!("!If {argument}");
                        };
                        let chosen =
                            if self.condition(condition.as_str().unwrap()) { then } else { otherwise };
                        self.resolve(chosen)
                    }
                    other if other.starts_with("Fn::") => panic!("{other} is not evaluated here: {argument}"),
                    _ => Some(json!({ name: self.resolve(argument)? })),
                }
            }
            Value::Object(map) => Some(Value::Object(
                map.iter().filter_map(|(k, v)| Some((k.clone(), self.resolve(v)?))).collect(),
            )),
            other => Some(other.clone()),
        }
    }

    fn sub(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("closed ${…}") + start;
            let name = &rest[start + 2..end];
            out.push_str(&self.reference(name).unwrap_or_else(|| panic!("${{{name}}} in !Sub")));
            rest = &rest[end + 1..];
        }
        out + rest
    }

    fn condition(&self, name: &str) -> bool {
        self.truth(&self.template["Conditions"][name])
    }

    fn truth(&self, value: &Value) -> bool {
        let (function, argument) = value.as_object().and_then(|m| m.iter().next()).expect("a condition");
        let items = || argument.as_array().unwrap().iter();
        match function.as_str() {
            "Condition" => self.condition(argument.as_str().unwrap()),
            "Fn::Not" => !self.truth(&argument[0]),
            "Fn::And" => items().all(|c| self.truth(c)),
            "Fn::Or" => items().any(|c| self.truth(c)),
            "Fn::Equals" => self.resolve(&argument[0]) == self.resolve(&argument[1]),
            other => panic!("condition function {other}"),
        }
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("a string, not {value}"))
}

fn flag(value: &Value) -> bool {
    value.as_bool().unwrap_or_else(|| panic!("a boolean, not {value}"))
}

fn number(value: &Value) -> i32 {
    value.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or_else(|| panic!("a number, not {value}"))
}

fn texts(value: &Value) -> Vec<&str> {
    value.as_array().unwrap_or_else(|| panic!("a list, not {value}")).iter().map(text).collect()
}

/// A value of one of the SDK's enums, refusing a name the API does not know.
fn known<T, E: std::fmt::Debug>(parse: impl Fn(&str) -> Result<T, E>, value: &Value) -> T {
    parse(text(value)).unwrap_or_else(|e| panic!("{value}: {e:?}"))
}

fn unmapped(place: &str, key: &str) -> ! {
    panic!("{place}.{key} is not mapped to the Cognito API in tests/tests/it/cognito.rs: map it there")
}

// ------------------------------------------------------------------ creating

async fn client() -> Client {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(test_support::moto_endpoint())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    Client::new(&sdk)
}

struct Pool {
    id: String,
    console_client: String,
    /// A client like the console's but with the admin password flow: the
    /// console's allows only refresh (operators sign in on the managed login
    /// page, which moto does not serve).
    test_client: String,
}

/// `OperatorUserPool`, its MFA configuration, `OperatorsGroup` and
/// `OperatorConsoleClient`, from the template.
async fn create_pool(cognito: &Client, stack: &mut Stack) -> Pool {
    let place = "OperatorUserPool";
    let properties = stack.properties(place, "AWS::Cognito::UserPool");
    let mut request = cognito.create_user_pool();
    let mut enabled_mfas = None;
    let mut mfa_configuration = None;
    for (key, value) in &properties {
        request = match key.as_str() {
            "UserPoolName" => request.pool_name(text(value)),
            "UserPoolTier" => request.user_pool_tier(known(UserPoolTierType::try_parse, value)),
            "DeletionProtection" => {
                request.deletion_protection(known(DeletionProtectionType::try_parse, value))
            }
            "UsernameAttributes" => request.set_username_attributes(Some(
                texts(value)
                    .into_iter()
                    .map(|a| known(UsernameAttributeType::try_parse, &json!(a)))
                    .collect(),
            )),
            "AutoVerifiedAttributes" => request.set_auto_verified_attributes(Some(
                texts(value)
                    .into_iter()
                    .map(|a| known(VerifiedAttributeType::try_parse, &json!(a)))
                    .collect(),
            )),
            "AdminCreateUserConfig" => {
                let mut config = AdminCreateUserConfigType::builder();
                for (key, value) in value.as_object().unwrap() {
                    config = match key.as_str() {
                        "AllowAdminCreateUserOnly" => config.allow_admin_create_user_only(flag(value)),
                        other => unmapped("AdminCreateUserConfig", other),
                    };
                }
                request.admin_create_user_config(config.build())
            }
            "MfaConfiguration" => {
                mfa_configuration = Some(known(UserPoolMfaType::try_parse, value));
                request.mfa_configuration(known(UserPoolMfaType::try_parse, value))
            }
            // Not a CreateUserPool field: CloudFormation sets it with
            // SetUserPoolMfaConfig once the pool exists, as done below.
            "EnabledMfas" => {
                enabled_mfas = Some(texts(value));
                request
            }
            "Policies" => {
                let mut policies = UserPoolPolicyType::builder();
                for (key, value) in value.as_object().unwrap() {
                    policies = match key.as_str() {
                        "PasswordPolicy" => policies.password_policy(password_policy(value)),
                        other => unmapped("Policies", other),
                    };
                }
                request.policies(policies.build())
            }
            "UserPoolAddOns" => {
                let mut add_ons = UserPoolAddOnsType::builder();
                for (key, value) in value.as_object().unwrap() {
                    add_ons = match key.as_str() {
                        "AdvancedSecurityMode" => {
                            add_ons.advanced_security_mode(known(AdvancedSecurityModeType::try_parse, value))
                        }
                        other => unmapped("UserPoolAddOns", other),
                    };
                }
                request.user_pool_add_ons(add_ons.build().unwrap())
            }
            "AccountRecoverySetting" => {
                let mut setting = AccountRecoverySettingType::builder();
                for (key, value) in value.as_object().unwrap() {
                    match key.as_str() {
                        "RecoveryMechanisms" => {
                            for mechanism in value.as_array().unwrap() {
                                let mut option = RecoveryOptionType::builder();
                                for (key, value) in mechanism.as_object().unwrap() {
                                    option = match key.as_str() {
                                        "Name" => {
                                            option.name(known(RecoveryOptionNameType::try_parse, value))
                                        }
                                        "Priority" => option.priority(number(value)),
                                        other => unmapped("RecoveryMechanisms", other),
                                    };
                                }
                                setting = setting.recovery_mechanisms(option.build().unwrap());
                            }
                        }
                        other => unmapped("AccountRecoverySetting", other),
                    }
                }
                request.account_recovery_setting(setting.build())
            }
            other => unmapped(place, other),
        };
    }
    let created = request.send().await.unwrap_or_else(|e| panic!("create-user-pool: {e:?}"));
    let pool_id = created.user_pool().and_then(|p| p.id()).expect("a pool id").to_owned();
    stack.refs.insert(place.into(), pool_id.clone());

    // EnabledMfas as CloudFormation applies it: TOTP only, with the pool's
    // MfaConfiguration. Without it moto's pool offers no MFA to set up.
    let enabled_mfas = enabled_mfas.expect("EnabledMfas");
    let mut mfa = cognito.set_user_pool_mfa_config().user_pool_id(&pool_id);
    for method in &enabled_mfas {
        mfa = match *method {
            "SOFTWARE_TOKEN_MFA" => mfa.software_token_mfa_configuration(
                SoftwareTokenMfaConfigType::builder().enabled(true).build(),
            ),
            other => {
                panic!("EnabledMfas: {other} is not mapped here (SMS and email need their own configuration)")
            }
        };
    }
    if let Some(configuration) = mfa_configuration {
        mfa = mfa.mfa_configuration(configuration);
    }
    mfa.send().await.unwrap_or_else(|e| panic!("set-user-pool-mfa-config: {e:?}"));

    described_back_as_given(cognito, &pool_id, &properties).await;

    // One group per role, each named as the admin function reads it.
    for (place, role) in [("OperatorsGroup", Role::Operator), ("SupervisorsGroup", Role::Supervisor)] {
        let properties = stack.properties(place, "AWS::Cognito::UserPoolGroup");
        let mut request = cognito.create_group();
        for (key, value) in &properties {
            request = match key.as_str() {
                "UserPoolId" => request.user_pool_id(text(value)),
                "GroupName" => request.group_name(text(value)),
                "Description" => request.description(text(value)),
                other => unmapped(place, other),
            };
        }
        request.send().await.unwrap_or_else(|e| panic!("create-group: {e:?}"));
        assert_eq!(properties["UserPoolId"], pool_id.as_str());
        assert_eq!(properties["GroupName"], role.group(), "the group the admin function reads");
    }

    let place = "OperatorConsoleClient";
    let properties = stack.properties(place, "AWS::Cognito::UserPoolClient");
    assert_eq!(properties["UserPoolId"], pool_id.as_str());
    let console_client = create_client(cognito, &properties).await;
    stack.refs.insert(place.into(), console_client.clone());

    // The test's own client: the console's properties but its name and flows.
    let mut test_properties = properties.clone();
    test_properties.insert("ClientName".into(), json!("integration-test-admin-password-flow"));
    test_properties.insert(
        "ExplicitAuthFlows".into(),
        json!(["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]),
    );
    let test_client = create_client(cognito, &test_properties).await;

    Pool { id: pool_id, console_client, test_client }
}

fn password_policy(value: &Value) -> PasswordPolicyType {
    let mut policy = PasswordPolicyType::builder();
    for (key, value) in value.as_object().unwrap() {
        policy = match key.as_str() {
            "MinimumLength" => policy.minimum_length(number(value)),
            "RequireUppercase" => policy.require_uppercase(flag(value)),
            "RequireLowercase" => policy.require_lowercase(flag(value)),
            "RequireNumbers" => policy.require_numbers(flag(value)),
            "RequireSymbols" => policy.require_symbols(flag(value)),
            "TemporaryPasswordValidityDays" => policy.temporary_password_validity_days(number(value)),
            "PasswordHistorySize" => policy.password_history_size(number(value)),
            other => unmapped("PasswordPolicy", other),
        };
    }
    policy.build()
}

/// An `AWS::Cognito::UserPoolClient`'s properties as CreateUserPoolClient.
async fn create_client(cognito: &Client, properties: &Map<String, Value>) -> String {
    let place = "OperatorConsoleClient";
    let mut request = cognito.create_user_pool_client();
    for (key, value) in properties {
        request = match key.as_str() {
            "UserPoolId" => request.user_pool_id(text(value)),
            "ClientName" => request.client_name(text(value)),
            "GenerateSecret" => request.generate_secret(flag(value)),
            "AllowedOAuthFlowsUserPoolClient" => request.allowed_o_auth_flows_user_pool_client(flag(value)),
            "AllowedOAuthFlows" => request.set_allowed_o_auth_flows(Some(
                texts(value).into_iter().map(|f| known(OAuthFlowType::try_parse, &json!(f))).collect(),
            )),
            "AllowedOAuthScopes" => {
                request.set_allowed_o_auth_scopes(Some(texts(value).into_iter().map(String::from).collect()))
            }
            "CallbackURLs" => {
                request.set_callback_urls(Some(texts(value).into_iter().map(String::from).collect()))
            }
            "LogoutURLs" => {
                request.set_logout_urls(Some(texts(value).into_iter().map(String::from).collect()))
            }
            "SupportedIdentityProviders" => request
                .set_supported_identity_providers(Some(texts(value).into_iter().map(String::from).collect())),
            "ExplicitAuthFlows" => request.set_explicit_auth_flows(Some(
                texts(value)
                    .into_iter()
                    .map(|f| known(ExplicitAuthFlowsType::try_parse, &json!(f)))
                    .collect(),
            )),
            "PreventUserExistenceErrors" => {
                request.prevent_user_existence_errors(known(PreventUserExistenceErrorTypes::try_parse, value))
            }
            "EnableTokenRevocation" => request.enable_token_revocation(flag(value)),
            "AuthSessionValidity" => request.auth_session_validity(number(value)),
            "AccessTokenValidity" => request.access_token_validity(number(value)),
            "IdTokenValidity" => request.id_token_validity(number(value)),
            "RefreshTokenValidity" => request.refresh_token_validity(number(value)),
            "TokenValidityUnits" => {
                let mut units = TokenValidityUnitsType::builder();
                for (key, value) in value.as_object().unwrap() {
                    let unit = known(TimeUnitsType::try_parse, value);
                    units = match key.as_str() {
                        "AccessToken" => units.access_token(unit),
                        "IdToken" => units.id_token(unit),
                        "RefreshToken" => units.refresh_token(unit),
                        other => unmapped("TokenValidityUnits", other),
                    };
                }
                request.token_validity_units(units.build())
            }
            other => unmapped(place, other),
        };
    }
    let created = request.send().await.unwrap_or_else(|e| panic!("create-user-pool-client: {e:?}"));
    let client = created.user_pool_client().expect("the client");
    // What the console relies on, described back as created.
    assert_eq!(client.client_secret(), None, "a public client");
    assert_eq!(
        client.callback_urls(),
        properties.get("CallbackURLs").map(texts).unwrap_or_default(),
        "CallbackURLs"
    );
    assert_eq!(
        client.explicit_auth_flows().iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        texts(&properties["ExplicitAuthFlows"]),
    );
    client.client_id().expect("a client id").to_owned()
}

/// DescribeUserPool and GetUserPoolMfaConfig answer what the template asked for.
async fn described_back_as_given(cognito: &Client, pool_id: &str, properties: &Map<String, Value>) {
    let described = cognito.describe_user_pool().user_pool_id(pool_id).send().await.unwrap();
    let pool = described.user_pool().unwrap();
    let policy = pool.policies().and_then(|p| p.password_policy()).expect("a password policy");
    let given = &properties["Policies"]["PasswordPolicy"];
    assert_eq!(policy.minimum_length(), Some(number(&given["MinimumLength"])));
    assert_eq!(policy.require_uppercase(), flag(&given["RequireUppercase"]));
    assert_eq!(policy.require_lowercase(), flag(&given["RequireLowercase"]));
    assert_eq!(policy.require_numbers(), flag(&given["RequireNumbers"]));
    assert_eq!(policy.require_symbols(), flag(&given["RequireSymbols"]));
    assert_eq!(policy.temporary_password_validity_days(), number(&given["TemporaryPasswordValidityDays"]));
    assert_eq!(
        pool.username_attributes().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        texts(&properties["UsernameAttributes"])
    );
    assert_eq!(
        pool.admin_create_user_config().map(|c| c.allow_admin_create_user_only()),
        Some(flag(&properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]))
    );
    assert_eq!(pool.mfa_configuration().map(|m| m.as_str()), Some(text(&properties["MfaConfiguration"])));
    assert_eq!(pool.user_pool_tier().map(|t| t.as_str()), Some(text(&properties["UserPoolTier"])));
    assert_eq!(pool.deletion_protection().map(|d| d.as_str()), Some(text(&properties["DeletionProtection"])));
    assert_eq!(
        pool.user_pool_add_ons().map(|a| a.advanced_security_mode().as_str()),
        Some(text(&properties["UserPoolAddOns"]["AdvancedSecurityMode"]))
    );
    let recovery: Vec<Value> = pool
        .account_recovery_setting()
        .map(|s| s.recovery_mechanisms())
        .unwrap_or_default()
        .iter()
        .map(|m| json!({ "Name": m.name().as_str(), "Priority": m.priority() }))
        .collect();
    assert_eq!(Value::Array(recovery), properties["AccountRecoverySetting"]["RecoveryMechanisms"]);

    let mfa = cognito.get_user_pool_mfa_config().user_pool_id(pool_id).send().await.unwrap();
    assert_eq!(mfa.mfa_configuration().map(|m| m.as_str()), Some(text(&properties["MfaConfiguration"])));
    assert_eq!(mfa.software_token_mfa_configuration().map(|c| c.enabled()), Some(true));
}

// ------------------------------------------------------------------ signing in

/// An operator account as an administrator makes one (the pool allows no
/// sign-up): email as username, verified, a temporary password, no invitation
/// mail.
async fn create_user(cognito: &Client, pool: &Pool, email: &str, temporary_password: &str) {
    let attribute =
        |name: &str, value: &str| AttributeType::builder().name(name).value(value).build().unwrap();
    cognito
        .admin_create_user()
        .user_pool_id(&pool.id)
        .username(email)
        .user_attributes(attribute("email", email))
        .user_attributes(attribute("email_verified", "true"))
        .temporary_password(temporary_password)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap_or_else(|e| panic!("admin-create-user: {e:?}"));
}

/// Passwords the pool's policy refuses, one rule broken each.
const WEAK_PASSWORDS: [(&str, &str); 5] = [
    ("13 characters", "Kaisha-2026!a"),
    ("no uppercase", "kaisha-touroku-2026!"),
    ("no lowercase", "KAISHA-TOUROKU-2026!"),
    ("no number", "Kaisha-Touroku-Nisen!"),
    ("no symbol", "KaishaTouroku2026abc"),
];

/// A sign-in with `password` on the test client, answering each challenge the
/// pool sets (to NEW_PASSWORD_REQUIRED the weak passwords first, each
/// refused), to the tokens; and the challenges, in order.
async fn sign_in(
    cognito: &Client,
    pool: &Pool,
    email: &str,
    temporary_password: &str,
) -> (AuthenticationResultType, Vec<ChallengeNameType>) {
    let started = cognito
        .admin_initiate_auth()
        .user_pool_id(&pool.id)
        .client_id(&pool.test_client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", temporary_password)
        .send()
        .await
        .unwrap_or_else(|e| panic!("admin-initiate-auth: {e:?}"));
    let mut challenge = started.challenge_name().cloned();
    let mut session = started.session().map(str::to_owned);
    let mut result = started.authentication_result().cloned();
    let mut challenges = vec![];
    while result.is_none() {
        let name = challenge.clone().expect("a challenge or tokens");
        assert!(challenges.len() < 4, "challenges without end: {challenges:?}");
        challenges.push(name.clone());
        let respond = cognito
            .admin_respond_to_auth_challenge()
            .user_pool_id(&pool.id)
            .client_id(&pool.test_client)
            .challenge_name(name.clone())
            .challenge_responses("USERNAME", email);
        let answered = match name {
            ChallengeNameType::NewPasswordRequired => {
                for (rule, weak) in WEAK_PASSWORDS {
                    let refused = respond
                        .clone()
                        .session(session.clone().unwrap())
                        .challenge_responses("NEW_PASSWORD", weak)
                        .send()
                        .await
                        .expect_err(rule);
                    assert_eq!(refused.code(), Some("InvalidPasswordException"), "{rule}: {refused:?}");
                }
                respond.session(session.clone().unwrap()).challenge_responses("NEW_PASSWORD", STRONG_PASSWORD)
            }
            ChallengeNameType::MfaSetup => {
                let associated = cognito
                    .associate_software_token()
                    .session(session.clone().unwrap())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("associate-software-token: {e:?}"));
                assert!(associated.secret_code().is_some_and(|s| !s.is_empty()), "a TOTP secret");
                let verified = cognito
                    .verify_software_token()
                    .session(associated.session().or(session.as_deref()).unwrap())
                    .user_code(TOTP_CODE)
                    .friendly_device_name("integration test")
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("verify-software-token: {e:?}"));
                assert_eq!(verified.status().map(|s| s.as_str()), Some("SUCCESS"));
                respond.session(verified.session().expect("a session after verifying"))
            }
            ChallengeNameType::SoftwareTokenMfa => respond
                .session(session.clone().unwrap())
                .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", TOTP_CODE),
            other => panic!("unexpected challenge {other:?}"),
        };
        let answer = answered.send().await.unwrap_or_else(|e| panic!("respond to {name:?}: {e:?}"));
        challenge = answer.challenge_name().cloned();
        session = answer.session().map(str::to_owned);
        result = answer.authentication_result().cloned();
    }
    (result.unwrap(), challenges)
}

// ------------------------------------------------------------------ the token

/// The payload of a JWT, unverified (base64url, no padding).
fn payload(jwt: &str) -> Map<String, Value> {
    let part = jwt.split('.').nth(1).expect("header.payload.signature");
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = vec![];
    for c in part.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'=' => break,
            other => panic!("not base64url: {other}"),
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    serde_json::from_slice(&bytes).expect("a JSON payload")
}

/// The claims as the HTTP API's JWT authorizer passes them in
/// `requestContext.authorizer.jwt.claims`: every value a string, an array
/// flattened to `[a b]`.
fn authorizer_claims(payload: &Map<String, Value>) -> Map<String, Value> {
    payload
        .iter()
        .map(|(name, value)| {
            let flat = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| i.as_str().map_or(i.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                other => other.to_string(),
            };
            (name.clone(), Value::String(flat))
        })
        .collect()
}

/// What the template's authorizer checks of an access token, as far as a
/// test without the keys can: the issuer of `JwtConfiguration.issuer` (the
/// template's `!Sub` evaluated for this pool), an access token, not expired,
/// issued to `client_id`.
fn check_access_token(stack: &Stack, claims: &Map<String, Value>, client_id: &str) {
    let authorizer =
        &resources(&stack.template)["HttpApi"]["Properties"]["Auth"]["Authorizers"]["OperatorAuthorizer"];
    let issuer = stack.resolve(&authorizer["JwtConfiguration"]["issuer"]).unwrap();
    assert_eq!(claims["iss"], issuer, "the authorizer's issuer");
    assert_eq!(
        claims["iss"],
        format!("https://cognito-idp.{REGION}.amazonaws.com/{}", stack.refs["OperatorUserPool"])
    );
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["client_id"], client_id);
    assert!(claims.get("aud").is_none(), "an access token has no aud (the authorizer matches client_id)");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(claims["exp"].as_u64().is_some_and(|exp| exp > now), "not expired: {claims:?}");
    // The authorizer's audience is the console client; this token is the
    // test client's (same pool, same issuer).
    let audience = stack.resolve(&authorizer["JwtConfiguration"]["audience"]).unwrap();
    assert_eq!(audience, json!([stack.refs["OperatorConsoleClient"]]));
    // The password flow's scope: the authorizer's AuthorizationScopes
    // ([openid]) would refuse this token on AWS; the console's tokens come from
    // the code grant, whose scopes are the client's (openid email).
    assert_eq!(claims["scope"], "aws.cognito.signin.user.admin");
}

/// GET /api/admin/applications as API Gateway invokes the admin function
/// (events/admin-list.json) with `claims` from the authorizer.
fn list_request(claims: &Map<String, Value>, bearer: &str) -> lambda_http::Request {
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(test_support::workspace_root().join("events/admin-list.json")).unwrap(),
    )
    .unwrap();
    event["headers"]["authorization"] = json!(format!("Bearer {bearer}"));
    event["requestContext"]["authorizer"]["jwt"]["claims"] = Value::Object(claims.clone());
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
}

// ------------------------------------------------------------------ the test

#[tokio::test]
async fn a_cognito_operator_token_from_the_templates_pool_passes_the_admin_functions_group_check() {
    let cognito = client().await;
    let mut stack = Stack::new();
    let pool = create_pool(&cognito, &mut stack).await;

    let operator = "operator@partner.example.jp";
    let outsider = "outsider@partner.example.jp";
    let supervisor = "supervisor@partner.example.jp";
    // moto does not apply the policy to temporary passwords (Cognito does).
    let temporary = "Kari-Pasuwado-2026?";
    create_user(&cognito, &pool, operator, temporary).await;
    create_user(&cognito, &pool, outsider, temporary).await;
    create_user(&cognito, &pool, supervisor, temporary).await;
    // As the README says: `admin-add-user-to-group --group-name …`.
    for (user, role) in
        [(operator, Role::Operator), (supervisor, Role::Operator), (supervisor, Role::Supervisor)]
    {
        cognito
            .admin_add_user_to_group()
            .user_pool_id(&pool.id)
            .username(user)
            .group_name(role.group())
            .send()
            .await
            .unwrap_or_else(|e| panic!("admin-add-user-to-group: {e:?}"));
    }

    // What moto asks on a first sign-in: a new password (under the pool's
    // policy), then TOTP enrolment (only because EnabledMfas set TOTP up).
    let (tokens, challenges) = sign_in(&cognito, &pool, operator, temporary).await;
    assert_eq!(challenges, [ChallengeNameType::NewPasswordRequired, ChallengeNameType::MfaSetup]);
    let (outsider_tokens, challenges) = sign_in(&cognito, &pool, outsider, temporary).await;
    assert_eq!(challenges, [ChallengeNameType::NewPasswordRequired, ChallengeNameType::MfaSetup]);

    // A later sign-in with TOTP preferred asks for the code, then gives tokens.
    cognito
        .admin_set_user_mfa_preference()
        .user_pool_id(&pool.id)
        .username(operator)
        .software_token_mfa_settings(
            aws_sdk_cognitoidentityprovider::types::SoftwareTokenMfaSettingsType::builder()
                .enabled(true)
                .preferred_mfa(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (again, challenges) = sign_in(&cognito, &pool, operator, STRONG_PASSWORD).await;
    assert_eq!(challenges, [ChallengeNameType::SoftwareTokenMfa]);
    assert!(again.access_token().is_some());

    let access = tokens.access_token().expect("an access token");
    let claims = payload(access);
    check_access_token(&stack, &claims, &pool.test_client);
    assert_eq!(claims["cognito:groups"], json!([Role::Operator.group()]));
    let outsider_access = outsider_tokens.access_token().expect("an access token");
    let outsider_claims = payload(outsider_access);
    check_access_token(&stack, &outsider_claims, &pool.test_client);
    assert!(outsider_claims.get("cognito:groups").is_none(), "{outsider_claims:?}");

    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_dir(dir.path()).unwrap());
    let handler = admin::Handler::new(
        Arc::clone(&store),
        Arc::new(shared::documents::local::LocalFiles::open(dir.path()).unwrap()),
        Arc::new(shared::keyed::IdentifierKey::for_tests()),
        admin::Settings::default(),
    )
    .directory(Arc::new(admin::CognitoDirectory::new(cognito.clone(), pool.id.clone())));

    let passed = authorizer_claims(&claims);
    assert_eq!(passed["cognito:groups"], "[operators]", "as the HTTP API flattens an array");
    let response = handler.handle(list_request(&passed, access)).await;
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(response.status(), 200, "{body}");
    assert!(body["items"].is_array(), "{body}");
    // The access token names the operator by Cognito's username, which is
    // the user's sub when the address is the username: no one would know
    // whom the audit means. The directory gives the address it names.
    assert_ne!(text(&claims["username"]), operator, "the token names no address");
    assert!(claims.get("email").is_none(), "an access token carries no email");
    let audit = store.audit_log(None, 10).await.unwrap();
    assert_eq!(audit.entries.len(), 1);
    assert_eq!(audit.entries[0].actor.as_str(), operator);
    let mut me = list_request(&passed, access);
    *me.uri_mut() = "https://api.example/api/admin/me".parse().unwrap();
    let body: Value = serde_json::from_slice(handler.handle(me).await.body()).unwrap();
    assert_eq!(body["email"], operator, "/me names the address");

    let response = handler.handle(list_request(&authorizer_claims(&outsider_claims), outsider_access)).await;
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(response.status(), 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");

    // Roles: the operator may not read the audit; a supervisor's token
    // carries both groups, which the HTTP API passes as one string.
    let audit_of = |claims: &Map<String, Value>, bearer: &str| {
        let mut request = list_request(claims, bearer);
        *request.uri_mut() = "https://api.example/api/admin/audit".parse().unwrap();
        request
    };
    let response = handler.handle(audit_of(&passed, access)).await;
    assert_eq!(response.status(), 403, "an operator reads no audit");
    let (supervisor_tokens, _) = sign_in(&cognito, &pool, supervisor, temporary).await;
    let supervisor_access = supervisor_tokens.access_token().expect("an access token");
    let supervisor_claims = payload(supervisor_access);
    let mut groups: Vec<&str> =
        supervisor_claims["cognito:groups"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    groups.sort_unstable();
    assert_eq!(groups, ["operators", "supervisors"]);
    let passed = authorizer_claims(&supervisor_claims);
    let flat = passed["cognito:groups"].as_str().unwrap();
    assert!(flat == "[operators supervisors]" || flat == "[supervisors operators]", "{flat}");
    let response = handler.handle(audit_of(&passed, supervisor_access)).await;
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(response.status(), 200, "{body}");

    // The console client exists with its template shape; its id is the
    // authorizer's audience.
    let console = cognito
        .describe_user_pool_client()
        .user_pool_id(&pool.id)
        .client_id(&pool.console_client)
        .send()
        .await
        .unwrap();
    let console = console.user_pool_client().unwrap();
    assert_eq!(console.allowed_o_auth_flows().iter().map(|f| f.as_str()).collect::<Vec<_>>(), ["code"]);
    assert_eq!(console.allowed_o_auth_scopes(), ["openid", "email"]);
    assert_eq!(console.callback_urls(), [format!("{PUBLIC_BASE_URL}/admin/")]);
}

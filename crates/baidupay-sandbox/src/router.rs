//! The route table: the platforms' real paths plus `/sandbox/*`, behind the fault layer. It
//! imports the handlers; no handler imports it.

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::Inner;
use crate::{alipay, baidu, deliver, faults, tp};

/// The prefix of Baidu's payment-service APIs.
const PAY: &str = "/rest/2.0/smartapp/pay/paymentservice";

/// Every route of the simulator, served with `inner`.
pub(crate) fn router(inner: Arc<Inner>) -> Router {
    let pay = |path: &str| format!("{PAY}/{path}");
    let mut r = Router::new()
        // control API
        .route("/sandbox/merchants", post(baidu::merchants::register))
        .route(
            "/sandbox/merchants/{app_key}",
            get(baidu::merchants::show_merchant),
        )
        .route("/sandbox/cashier/pay", post(baidu::cashier::cashier_pay))
        .route(
            "/sandbox/cashier/create",
            post(baidu::cashier::cashier_create),
        )
        .route("/sandbox/deliveries", get(deliver::list))
        .route("/sandbox/bills/{id}", get(baidu::bill::bill_file))
        .route(
            "/sandbox/faults",
            post(faults::arm).get(faults::list).delete(faults::clear),
        )
        // Baidu: tokens, 1.0 APIs
        .route(
            "/oauth/2.0/token",
            get(baidu::token::token).post(baidu::token::token),
        )
        .route(
            "/platform/entity/openapi/queryorderdetail",
            get(baidu::legacy::legacy_query_order),
        )
        .route(
            "/cashier/applyOrderRefund",
            get(baidu::legacy::legacy_refund).post(baidu::legacy::legacy_refund),
        )
        .route(
            "/cashier/syncOrderStatus",
            get(baidu::legacy::legacy_sync).post(baidu::legacy::legacy_sync),
        )
        // Alipay
        .route(
            "/gateway.do",
            post(alipay::gateway::gateway).get(alipay::gateway::gateway),
        )
        .route("/sandbox/alipay/apps", post(alipay::apps::register))
        .route("/sandbox/alipay/apps/{app_id}", get(alipay::apps::show_app))
        .route("/sandbox/alipay/pay", post(alipay::notify::pay))
        .route("/sandbox/alipay/bills/{id}", get(alipay::bill::bill_file))
        // TP: the authorization chain
        .route("/sandbox/tp/platforms", post(tp::platform::register))
        .route("/sandbox/tp/platforms/{client_id}", get(tp::platform::show))
        .route(
            "/sandbox/tp/platforms/{client_id}/ticket",
            post(tp::platform::push_now),
        )
        .route(
            "/public/2.0/smartapp/auth/tp/token",
            get(tp::platform::tp_token),
        )
        .route(
            "/rest/2.0/smartapp/tp/createpreauthcode",
            get(tp::platform::pre_auth_code),
        )
        .route("/sandbox/tp/authorize", post(tp::authorize::authorize))
        .route(
            "/sandbox/tp/authorize/{app_id}",
            delete(tp::authorize::revoke),
        )
        .route("/rest/2.0/oauth/token", get(tp::authorize::oauth_token))
        .route("/sandbox/tp/apps/{app_id}", get(tp::authorize::show_app))
        // TP: control, onboarding, orders, finance
        .route("/sandbox/tp/apps", post(tp::audit::authorize_app))
        .route("/sandbox/tp/audit", post(tp::audit::decide))
        .route(&pay("dict"), get(tp::onboarding::dict))
        .route(
            "/rest/2.0/smartapp/pay/account/create",
            post(tp::onboarding::create_account),
        )
        .route(
            "/rest/2.0/smartapp/pay/account/auditstatus",
            get(tp::onboarding::account_status),
        )
        .route(
            "/rest/2.0/smartapp/pay/developconfig/submit",
            post(tp::onboarding::submit_config),
        )
        .route(&pay("create"), post(tp::onboarding::create_service))
        .route(&pay("auditstatus"), get(tp::onboarding::service_status))
        .route(&pay("update"), post(tp::onboarding::update_service))
        .route(
            &pay("updatebindservice"),
            post(tp::onboarding::update_bound_service),
        )
        .route(&pay("getbindservice"), get(tp::onboarding::bound_service))
        .route(&pay("orderlist"), get(tp::orders::order_list))
        .route(&pay("financebalance"), get(tp::finance::finance_balance))
        .route(
            &pay("financebalance/incomedetail"),
            get(tp::finance::income_detail),
        )
        .route(
            &pay("financebalance/otherdetail"),
            get(tp::finance::other_detail),
        )
        .route(&pay("financeexpense"), get(tp::finance::expenses))
        .route(
            &pay("financeexpense/paydetail"),
            get(tp::finance::pay_detail),
        );
    // Baidu 2.0 pay APIs, for merchants and (under /tp/) for TPs
    for prefix in ["", "tp/"] {
        r = r
            .route(
                &pay(&format!("{prefix}findByTpOrderId")),
                get(baidu::orders::find_order),
            )
            .route(
                &pay(&format!("{prefix}cancelOrder")),
                get(baidu::orders::cancel_order),
            )
            .route(
                &pay(&format!("{prefix}applyOrderRefund")),
                post(baidu::refund::apply_refund),
            )
            .route(
                &pay(&format!("{prefix}findOrderRefund")),
                get(baidu::refund::find_refunds),
            )
            .route(
                &pay(&format!("{prefix}orderBill")),
                get(baidu::bill::order_bill),
            )
            .route(
                &pay(&format!("{prefix}capitaBill")),
                get(baidu::bill::capital_bill),
            );
    }
    r.layer(axum::middleware::from_fn_with_state(
        inner.clone(),
        faults::layer,
    ))
    .with_state(inner)
}

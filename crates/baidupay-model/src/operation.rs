//! Baidu OpenAPI operations: what a request is sent as (name, method, path, whether a resend
//! is safe) and what its `data` decodes into, in one table.
//!
//! An API client sends any [`Operation`] the same way (`baidupay_openapi::OpenApi::execute`):
//! the `access_token` in the query, the [`Params`] in the query (GET) or a form body (POST), the
//! envelope decoded into [`Operation::Output`]. Adding an endpoint is one request type (its
//! fields with their serde derive, which is the wire format, and `impl Params for X {}`) and
//! one line in the table at the bottom of this file.
//!
//! A request shape that several endpoints share (a bill day, a finance date range) is sent to
//! one of them through a borrowed wrapper that names the endpoint ([`OrderBill`],
//! [`FinanceBalanceList`], …); the third-party-platform variant of a cashier pay API through
//! [`Tp`].

use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::cashier::{
    ApplyRefundRequest, ApplyRefundResult, BillList, BillRequest, CancelOrderRequest,
    FindOrderRequest, FindRefundRequest, OrderDetail, Params, RefundRecord,
};
use crate::tp::{
    AccountAuditStatus, AccountCreateRequest, BoundService, DevelopConfigRequest, ExpenseList,
    FinanceBalance, FinanceRangeRequest, IncomeDetail, IncomeDetailRequest, OrderList,
    OrderListRequest, OtherDetail, PayDetail, PayDetailRequest, PaymentDict, PaymentServiceRequest,
    PaymentServiceUpdateRequest, ServiceAuditStatus,
};

/// The HTTP method of an operation: GET sends the parameters in the query string, POST in an
/// `application/x-www-form-urlencoded` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`, parameters in the query.
    Get,
    /// `POST`, parameters in a form body.
    Post,
}

/// How an operation's answer is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnswerShape {
    /// The business envelope `{"errno","msg","data"}` (or a gateway / OAuth error); a body
    /// without `errno` is refused ([`crate::envelope::decode_baidu`]).
    Envelope,
    /// The envelope or the bare `data` object, where the docs show both
    /// ([`crate::envelope::decode_baidu_or_bare`]).
    EnvelopeOrBare,
}

/// One Baidu OpenAPI endpoint, implemented by the request sent to it.
pub trait Operation: Params + Send + Sync {
    /// What `data` of a success envelope decodes into.
    type Output: DeserializeOwned + Send;
    /// GET (query) or POST (form body).
    const METHOD: HttpMethod;
    /// Whether sending the request twice has the effect of sending it once (queries, and
    /// refunds that carry their idempotency key), so that a retry after a timeout is safe.
    /// Defaults to `false`: a new operation is never resent unless it says so.
    const IDEMPOTENT: bool = false;
    /// How the answer is laid out; defaults to the strict envelope.
    const ANSWER: AnswerShape = AnswerShape::Envelope;

    /// The operation's name in errors and logs, e.g. `findByTpOrderId`.
    fn name(&self) -> &'static str;

    /// The path below the API base, e.g. `/rest/2.0/smartapp/pay/paymentservice/cancelOrder`.
    fn path(&self) -> &'static str;

    /// Checks the request against the documented limits before it is sent.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the field and the limit.
    fn validate(&self) -> crate::Result<()> {
        Ok(())
    }
}

/// A cashier pay API that the third-party platform also serves for its mini programs, under
/// `/rest/2.0/smartapp/pay/paymentservice/tp/…`; send it wrapped in [`Tp`].
pub trait TpVariant: Operation {
    /// The TP variant's name, e.g. `tp/findByTpOrderId`.
    fn tp_name(&self) -> &'static str;
    /// The TP variant's path.
    fn tp_path(&self) -> &'static str;
}

/// The third-party-platform variant of a cashier pay API (the TP's authorizer token in the
/// query, the same parameters).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
pub struct Tp<'a, R>(pub &'a R);

impl<R: TpVariant> Params for Tp<'_, R> {}

impl<R: TpVariant> Operation for Tp<'_, R> {
    type Output = R::Output;
    const METHOD: HttpMethod = R::METHOD;
    const IDEMPOTENT: bool = R::IDEMPOTENT;
    const ANSWER: AnswerShape = R::ANSWER;

    fn name(&self) -> &'static str {
        self.0.tp_name()
    }

    fn path(&self) -> &'static str {
        self.0.tp_path()
    }

    fn validate(&self) -> crate::Result<()> {
        self.0.validate()
    }
}

/// A request without parameters.
macro_rules! empty_request {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct $name;

        impl Params for $name {}
    )*};
}

empty_request! {
    /// `GET …/paymentservice/dict`.
    DictRequest;
    /// `GET …/pay/account/auditstatus`.
    AccountAuditStatusRequest;
    /// `GET …/paymentservice/auditstatus`.
    ServiceAuditStatusRequest;
    /// `GET …/paymentservice/getbindservice`.
    BoundServiceRequest;
}

/// A borrowed request shape sent to one named endpoint.
macro_rules! endpoint_wrapper {
    ($($(#[$m:meta])* $name:ident($inner:ty);)*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Serialize)]
        #[serde(transparent)]
        pub struct $name<'a>(pub &'a $inner);

        impl Params for $name<'_> {}
    )*};
}

endpoint_wrapper! {
    /// 下载订单对账单 (`orderBill`) for the day of the wrapped request.
    OrderBill(BillRequest);
    /// 下载资金账单 (`capitaBill`) for the day of the wrapped request.
    CapitalBill(BillRequest);
    /// 支付收入列表 (`financebalance`) over the wrapped range.
    FinanceBalanceList(FinanceRangeRequest);
    /// 支付收入其他款项列表 (`financebalance/otherdetail`) over the wrapped range.
    OtherDetailList(FinanceRangeRequest);
    /// 支出列表 (`financeexpense`) over the wrapped range.
    ExpenseListRequest(FinanceRangeRequest);
}

/// The endpoint table: `Type: Method "path below the base" as "name", idempotent|once,
/// validated|wrapped|plain [, answer Shape] [, tp "tp name" "tp path"] => Output;`
/// (`validated`: the type's own `validate`; `wrapped`: the wrapped request's; `answer`: an
/// [`AnswerShape`] other than the strict envelope).
macro_rules! operations {
    (@idem idempotent) => { true };
    (@idem once) => { false };
    (@validate $t:ty, validated) => {
        fn validate(&self) -> crate::Result<()> {
            <$t>::validate(self)
        }
    };
    (@validate $t:ty, wrapped) => {
        fn validate(&self) -> crate::Result<()> {
            self.0.validate()
        }
    };
    (@validate $t:ty, plain) => {};
    ($(
        $t:ty: $method:ident $path:literal as $name:literal, $idem:ident, $check:ident
            $(, answer $shape:ident)? $(, tp $tpname:literal $tppath:literal)? => $out:ty;
    )*) => {
        /// Every operation's name, for the test that encodes a sample of each.
        #[cfg(test)]
        const TABLE: &[&str] = &[$($name),*];
        $(
        impl Operation for $t {
            type Output = $out;
            const METHOD: HttpMethod = HttpMethod::$method;
            const IDEMPOTENT: bool = operations!(@idem $idem);
            $(const ANSWER: AnswerShape = AnswerShape::$shape;)?

            fn name(&self) -> &'static str {
                $name
            }

            fn path(&self) -> &'static str {
                $path
            }

            operations!(@validate $t, $check);
        }
        $(
            impl TpVariant for $t {
                fn tp_name(&self) -> &'static str {
                    $tpname
                }

                fn tp_path(&self) -> &'static str {
                    $tppath
                }
            }
        )?
        )*
    };
}

/// `/rest/2.0/smartapp/pay/paymentservice`: the cashier pay APIs (and the TP's payment
/// service APIs).
pub const PAY_PATH: &str = "/rest/2.0/smartapp/pay/paymentservice";
/// `/rest/2.0/smartapp/pay/paymentservice/tp`: the TP variants of the pay APIs.
pub const TP_PAY_PATH: &str = "/rest/2.0/smartapp/pay/paymentservice/tp";
/// `/rest/2.0/smartapp/pay/account`.
pub const ACCOUNT_PATH: &str = "/rest/2.0/smartapp/pay/account";
/// `/rest/2.0/smartapp/pay/developconfig`.
pub const DEVELOP_CONFIG_PATH: &str = "/rest/2.0/smartapp/pay/developconfig";

operations! {
    // the cashier's 2.0 pay APIs (baidu-cashier.md 5), and their TP variants (seed 004)
    FindOrderRequest: Get "/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId" as "findByTpOrderId", idempotent, plain,
        tp "tp/findByTpOrderId" "/rest/2.0/smartapp/pay/paymentservice/tp/findByTpOrderId" => OrderDetail;
    // closing twice is harmless, so a retry after a timeout is safe
    CancelOrderRequest: Get "/rest/2.0/smartapp/pay/paymentservice/cancelOrder" as "cancelOrder", idempotent, plain,
        tp "tp/cancelOrder" "/rest/2.0/smartapp/pay/paymentservice/tp/cancelOrder" => bool;
    // `bizRefundBatchId` is the idempotency key
    ApplyRefundRequest: Post "/rest/2.0/smartapp/pay/paymentservice/applyOrderRefund" as "applyOrderRefund", idempotent, plain,
        tp "tp/applyOrderRefund" "/rest/2.0/smartapp/pay/paymentservice/tp/applyOrderRefund" => ApplyRefundResult;
    FindRefundRequest: Get "/rest/2.0/smartapp/pay/paymentservice/findOrderRefund" as "findOrderRefund", idempotent, plain,
        tp "tp/findOrderRefund" "/rest/2.0/smartapp/pay/paymentservice/tp/findOrderRefund" => Option<Vec<RefundRecord>>;
    OrderBill<'_>: Get "/rest/2.0/smartapp/pay/paymentservice/orderBill" as "orderBill", idempotent, plain,
        tp "tp/orderBill" "/rest/2.0/smartapp/pay/paymentservice/tp/orderBill" => BillList;
    CapitalBill<'_>: Get "/rest/2.0/smartapp/pay/paymentservice/capitaBill" as "capitaBill", idempotent, plain,
        tp "tp/capitaBill" "/rest/2.0/smartapp/pay/paymentservice/tp/capitaBill" => BillList;

    // the TP payment service (seed 004); audited submissions are never resent automatically
    // seed 004 shows the dictionary as a bare object, its common parameters as the envelope
    DictRequest: Get "/rest/2.0/smartapp/pay/paymentservice/dict" as "paymentservice/dict", idempotent, plain, answer EnvelopeOrBare => PaymentDict;
    AccountCreateRequest: Post "/rest/2.0/smartapp/pay/account/create" as "pay/account/create", once, validated => IgnoredAny;
    AccountAuditStatusRequest: Get "/rest/2.0/smartapp/pay/account/auditstatus" as "pay/account/auditstatus", idempotent, plain => AccountAuditStatus;
    DevelopConfigRequest: Post "/rest/2.0/smartapp/pay/developconfig/submit" as "pay/developconfig/submit", once, validated => IgnoredAny;
    PaymentServiceRequest: Post "/rest/2.0/smartapp/pay/paymentservice/create" as "paymentservice/create", once, validated => IgnoredAny;
    ServiceAuditStatusRequest: Get "/rest/2.0/smartapp/pay/paymentservice/auditstatus" as "paymentservice/auditstatus", idempotent, plain => ServiceAuditStatus;
    PaymentServiceUpdateRequest: Post "/rest/2.0/smartapp/pay/paymentservice/update" as "paymentservice/update", once, validated => IgnoredAny;
    BoundServiceRequest: Get "/rest/2.0/smartapp/pay/paymentservice/getbindservice" as "paymentservice/getbindservice", idempotent, plain => BoundService;
    OrderListRequest: Get "/rest/2.0/smartapp/pay/paymentservice/orderlist" as "paymentservice/orderlist", idempotent, validated => OrderList;
    FinanceBalanceList<'_>: Get "/rest/2.0/smartapp/pay/paymentservice/financebalance" as "paymentservice/financebalance", idempotent, wrapped => FinanceBalance;
    IncomeDetailRequest: Get "/rest/2.0/smartapp/pay/paymentservice/financebalance/incomedetail" as "paymentservice/financebalance/incomedetail", idempotent, validated => IncomeDetail;
    OtherDetailList<'_>: Get "/rest/2.0/smartapp/pay/paymentservice/financebalance/otherdetail" as "paymentservice/financebalance/otherdetail", idempotent, wrapped => OtherDetail;
    ExpenseListRequest<'_>: Get "/rest/2.0/smartapp/pay/paymentservice/financeexpense" as "paymentservice/financeexpense", idempotent, wrapped => ExpenseList;
    PayDetailRequest: Get "/rest/2.0/smartapp/pay/paymentservice/financeexpense/paydetail" as "paymentservice/financeexpense/paydetail", idempotent, plain => PayDetail;
    UpdateBoundService<'_>: Post "/rest/2.0/smartapp/pay/paymentservice/updatebindservice" as "paymentservice/updatebindservice", once, wrapped => IgnoredAny;
}

/// 更新支付服务全部信息 (audited): the full payment-service form sent to `updatebindservice`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(transparent)]
pub struct UpdateBoundService<'a>(pub &'a PaymentServiceRequest);

impl Params for UpdateBoundService<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AppKey, TpOrderId};

    fn encoded<O: Operation>(o: &O) -> (&'static str, Vec<(&'static str, String)>) {
        match o.to_params() {
            Ok(p) => (o.name(), p),
            Err(e) => panic!("{} cannot be encoded: {e}", o.name()),
        }
    }

    /// A sample of every request in the table encodes (a field type that cannot be a parameter
    /// fails here, not for a user), and every line of the table has its sample.
    #[test]
    fn every_operation_encodes() {
        use crate::cashier::{Date, RefundType};
        use crate::tp::{OrderStatusFilter, PaymentDays};
        use crate::{BizRefundBatchId, Fen, OrderId, UserId};
        let app = AppKey::new("MMMabc").unwrap();
        let tp_order = TpOrderId::new("T1").unwrap();
        let day = Date::parse("2021-03-01").unwrap();
        let find = FindOrderRequest::new(tp_order.clone(), app.clone());
        let cancel = CancelOrderRequest::new(OrderId::new(1), app.clone());
        let refund = ApplyRefundRequest::new(
            OrderId::new(1),
            UserId::new(2),
            tp_order.clone(),
            BizRefundBatchId::new("B1").unwrap(),
            RefundType::UserRequested,
            "reason",
            app.clone(),
        )
        .unwrap()
        .partial(Fen::new(100))
        .unwrap()
        .skip_audit(true)
        .refund_notify_url("https://m.example/refund")
        .deal_vos("[]");
        let find_refund = FindRefundRequest::new(tp_order, UserId::new(2), app.clone());
        let bill = BillRequest::new(day.clone(), app);
        let service = PaymentServiceRequest::new(
            "n",
            "p",
            "a",
            "6222",
            "b",
            "br",
            "op",
            "oc",
            PaymentDays::T7,
            100,
            10_000,
        );
        let range = FinanceRangeRequest::new(day.clone(), day.clone(), 1, 10);
        let samples = [
            encoded(&find),
            encoded(&Tp(&find)),
            encoded(&cancel),
            encoded(&Tp(&cancel)),
            encoded(&refund),
            encoded(&Tp(&refund)),
            encoded(&find_refund),
            encoded(&Tp(&find_refund)),
            encoded(&OrderBill(&bill)),
            encoded(&Tp(&OrderBill(&bill))),
            encoded(&CapitalBill(&bill)),
            encoded(&DictRequest),
            encoded(&AccountCreateRequest::new(
                "s", "p", "c", "a", "l", "i", "f", "b",
            )),
            encoded(&AccountAuditStatusRequest),
            encoded(&DevelopConfigRequest::new("k", "u", "a", "s")),
            encoded(&service),
            encoded(&ServiceAuditStatusRequest),
            encoded(&PaymentServiceUpdateRequest::new("n", "p", 5)),
            encoded(&BoundServiceRequest),
            encoded(&OrderListRequest::new(
                OrderStatusFilter::All,
                1_600_000_000,
                1_600_000_001,
                1,
                10,
            )),
            encoded(&FinanceBalanceList(&range)),
            encoded(&IncomeDetailRequest::new(day, 1, 10)),
            encoded(&OtherDetailList(&range)),
            encoded(&ExpenseListRequest(&range)),
            encoded(&PayDetailRequest::new(7)),
            encoded(&UpdateBoundService(&service)),
        ];
        for name in TABLE {
            assert!(
                samples.iter().any(|(n, _)| n == name),
                "no sample for {name}"
            );
        }
        let params = |name: &str| {
            samples
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| p.clone())
                .unwrap()
        };
        // the values that are not plain text keep their wire form
        let refund = params("applyOrderRefund");
        for pair in [
            ("refundType", "1"),
            ("isSkipAudit", "1"),
            ("applyRefundMoney", "100"),
        ] {
            assert!(refund.contains(&(pair.0, pair.1.to_owned())), "{refund:?}");
        }
        assert!(params("paymentservice/create").contains(&("payment_days", "7".to_owned())));
        assert!(params("paymentservice/orderlist").contains(&("status", "all".to_owned())));
        assert_eq!(params("paymentservice/dict"), []);
        assert_eq!(params("tp/applyOrderRefund"), refund);
    }

    fn path_of<O: Operation>(o: &O) -> (&'static str, &'static str, HttpMethod, bool) {
        (o.name(), o.path(), O::METHOD, O::IDEMPOTENT)
    }

    #[test]
    fn paths_and_variants() {
        let req = FindOrderRequest::new(
            TpOrderId::new("t1").unwrap(),
            AppKey::new("MMMabc").unwrap(),
        );
        assert_eq!(
            path_of(&req),
            (
                "findByTpOrderId",
                "/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId",
                HttpMethod::Get,
                true
            )
        );
        assert_eq!(
            path_of(&Tp(&req)),
            (
                "tp/findByTpOrderId",
                "/rest/2.0/smartapp/pay/paymentservice/tp/findByTpOrderId",
                HttpMethod::Get,
                true
            )
        );
        assert_eq!(Tp(&req).to_params().unwrap(), req.to_params().unwrap());
        assert_eq!(
            OrderBill(&BillRequest::new(
                crate::cashier::Date::parse("2021-03-01").unwrap(),
                AppKey::new("MMMabc").unwrap()
            ))
            .to_params()
            .unwrap(),
            [
                ("billTime", "2021-03-01".to_owned()),
                ("pmAppKey", "MMMabc".to_owned())
            ]
        );
        // every path sits under the constants the clients document
        for p in [req.path(), Tp(&req).path(), DictRequest.path()] {
            assert!(p.starts_with(PAY_PATH), "{p}");
        }
        assert!(Tp(&req).path().starts_with(TP_PAY_PATH));
        // only the dictionary may answer bare
        assert_eq!(
            <DictRequest as Operation>::ANSWER,
            AnswerShape::EnvelopeOrBare
        );
        assert_eq!(
            <AccountAuditStatusRequest as Operation>::ANSWER,
            AnswerShape::Envelope
        );
        assert!(AccountAuditStatusRequest.path().starts_with(ACCOUNT_PATH));
        // audited submissions are never resent automatically
        let resend = [
            <AccountCreateRequest as Operation>::IDEMPOTENT,
            <DevelopConfigRequest as Operation>::IDEMPOTENT,
        ];
        assert_eq!(resend, [false, false]);
        assert_eq!(
            <DevelopConfigRequest as Operation>::METHOD,
            HttpMethod::Post
        );
        let dc = DevelopConfigRequest {
            tp_public_key: "k".into(),
            pay_notify_url: "https://m.example/pay".into(),
            refund_audit_url: "https://m.example/audit".into(),
            refund_succ_url: "https://m.example/refund".into(),
        };
        assert!(dc.path().starts_with(DEVELOP_CONFIG_PATH));
    }
}

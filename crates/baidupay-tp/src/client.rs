//! The TP client.

use std::sync::Arc;

use baidupay_cashier::{Body, OpenApi, TokenProvider};
use baidupay_model::cashier::{
    ApplyRefundRequest, ApplyRefundResult, BillKind, BillList, BillRequest, CancelOrderRequest,
    Date, FindOrderRequest, FindRefundRequest, OrderDetail, Params, RefundRecord,
};
use baidupay_model::tp::{
    AccountAuditStatus, AccountCreateRequest, BoundService, DevelopConfigRequest, ExpenseList,
    FinanceBalance, FinanceRangeRequest, IncomeDetail, IncomeDetailRequest, OrderList,
    OrderListRequest, OtherDetail, PayDetail, PayDetailRequest, PaymentDict, PaymentServiceRequest,
    PaymentServiceUpdateRequest, ServiceAuditStatus,
};
use baidupay_model::{AppKey, OrderId, TpOrderId, UserId};
use baidupay_transport::Transport;
use http::Method;
use serde::de::DeserializeOwned;

use crate::error::{Result, TpError};
use crate::pages::Pages;

/// `/rest/2.0/smartapp/pay/account`.
pub const ACCOUNT_PATH: &str = "/rest/2.0/smartapp/pay/account";
/// `/rest/2.0/smartapp/pay/developconfig`.
pub const DEVELOP_CONFIG_PATH: &str = "/rest/2.0/smartapp/pay/developconfig";
/// `/rest/2.0/smartapp/pay/paymentservice`.
pub const SERVICE_PATH: &str = "/rest/2.0/smartapp/pay/paymentservice";
/// `/rest/2.0/smartapp/pay/paymentservice/tp`: the TP variants of the pay APIs.
pub const TP_PAY_PATH: &str = "/rest/2.0/smartapp/pay/paymentservice/tp";

/// A `Pages` constructor for a list endpoint whose request has `current_page`.
macro_rules! pages_fn {
    ($(#[$m:meta])* $name:ident, $req:ident, $resp:ty, $call:ident) => {
        $(#[$m])*
        pub fn $name(&self, req: $req) -> Pages<'_, $resp> {
            Pages::new(
                req.current_page,
                Box::new(move |page| {
                    let req = $req {
                        current_page: page,
                        ..req.clone()
                    };
                    Box::pin(async move { self.$call(&req).await })
                }),
            )
        }
    };
}

/// The TP client for one mini program (its authorizer token comes from `tokens`). Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct TpClient {
    api: OpenApi,
}

/// `{"errno":0,"msg":"success"}` without data.
type Done = Option<serde_json::Value>;

impl TpClient {
    /// A client for `api_base` (e.g. `https://openapi.baidu.com`, or a sandbox).
    pub fn new(
        api_base: impl Into<String>,
        transport: Arc<dyn Transport>,
        tokens: Arc<dyn TokenProvider>,
    ) -> Self {
        Self {
            api: OpenApi::new(api_base, transport, tokens),
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        op: &'static str,
        path: String,
        params: Vec<(&'static str, String)>,
    ) -> Result<T> {
        Ok(self
            .api
            .call(op, Method::GET, &path, params, Body::Query, true)
            .await?)
    }

    async fn post(
        &self,
        op: &'static str,
        path: String,
        params: Vec<(&'static str, String)>,
    ) -> Result<()> {
        // audited submissions are not retried automatically: a resend could land twice
        let _: Done = self
            .api
            .call(op, Method::POST, &path, params, Body::Form, false)
            .await?;
        Ok(())
    }

    /// 获取数据字典: provinces/cities, banks, commission rates, payment days.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn dict(&self) -> Result<PaymentDict> {
        self.get(
            "paymentservice/dict",
            format!("{SERVICE_PATH}/dict"),
            Vec::new(),
        )
        .await
    }

    /// 创建支付账号 (step 1, audited; the result arrives by push or [`TpClient::account_audit_status`]).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn create_account(&self, req: &AccountCreateRequest) -> Result<()> {
        req.validate().map_err(TpError::Invalid)?;
        self.post(
            "pay/account/create",
            format!("{ACCOUNT_PATH}/create"),
            req.to_params(),
        )
        .await
    }

    /// 支付账号创建状态查询.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn account_audit_status(&self) -> Result<AccountAuditStatus> {
        self.get(
            "pay/account/auditstatus",
            format!("{ACCOUNT_PATH}/auditstatus"),
            Vec::new(),
        )
        .await
    }

    /// 提交开发者信息 (step 2, audited).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn submit_develop_config(&self, req: &DevelopConfigRequest) -> Result<()> {
        req.validate().map_err(TpError::Invalid)?;
        self.post(
            "pay/developconfig/submit",
            format!("{DEVELOP_CONFIG_PATH}/submit"),
            req.to_params(),
        )
        .await
    }

    /// 创建并绑定支付服务 (step 3, audited).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn create_service(&self, req: &PaymentServiceRequest) -> Result<()> {
        req.validate().map_err(TpError::Invalid)?;
        self.post(
            "paymentservice/create",
            format!("{SERVICE_PATH}/create"),
            req.to_params(),
        )
        .await
    }

    /// 支付服务创建状态查询.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn service_audit_status(&self) -> Result<ServiceAuditStatus> {
        self.get(
            "paymentservice/auditstatus",
            format!("{SERVICE_PATH}/auditstatus"),
            Vec::new(),
        )
        .await
    }

    /// 更新支付服务部分字段 (no audit).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn update_service(&self, req: &PaymentServiceUpdateRequest) -> Result<()> {
        req.validate().map_err(TpError::Invalid)?;
        self.post(
            "paymentservice/update",
            format!("{SERVICE_PATH}/update"),
            req.to_params(),
        )
        .await
    }

    /// 更新支付服务全部信息 (audited).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn update_bound_service(&self, req: &PaymentServiceRequest) -> Result<()> {
        req.validate().map_err(TpError::Invalid)?;
        self.post(
            "paymentservice/updatebindservice",
            format!("{SERVICE_PATH}/updatebindservice"),
            req.to_params(),
        )
        .await
    }

    /// 获取绑定的支付服务.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn bound_service(&self) -> Result<BoundService> {
        self.get(
            "paymentservice/getbindservice",
            format!("{SERVICE_PATH}/getbindservice"),
            Vec::new(),
        )
        .await
    }

    /// 支付订单流水列表: one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn order_list(&self, req: &OrderListRequest) -> Result<OrderList> {
        req.validate().map_err(TpError::Invalid)?;
        self.get(
            "paymentservice/orderlist",
            format!("{SERVICE_PATH}/orderlist"),
            req.to_params(),
        )
        .await
    }

    pages_fn!(
        /// Every page of the order list from `req.current_page` on.
        order_pages, OrderListRequest, OrderList, order_list
    );
    pages_fn!(
        /// Every page of the income list from `req.current_page` on.
        finance_balance_pages, FinanceRangeRequest, FinanceBalance, finance_balance
    );
    pages_fn!(
        /// Every page of one day's income detail from `req.current_page` on.
        income_detail_pages, IncomeDetailRequest, IncomeDetail, income_detail
    );
    pages_fn!(
        /// Every page of the other-income list from `req.current_page` on.
        other_detail_pages, FinanceRangeRequest, OtherDetail, other_detail
    );
    pages_fn!(
        /// Every page of the expense list from `req.current_page` on.
        expense_pages, FinanceRangeRequest, ExpenseList, expenses
    );

    /// 支付收入列表: one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn finance_balance(&self, req: &FinanceRangeRequest) -> Result<FinanceBalance> {
        req.validate().map_err(TpError::Invalid)?;
        self.get(
            "paymentservice/financebalance",
            format!("{SERVICE_PATH}/financebalance"),
            req.to_params(),
        )
        .await
    }

    /// 支付收入货款列表 (one day): one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn income_detail(&self, req: &IncomeDetailRequest) -> Result<IncomeDetail> {
        req.validate().map_err(TpError::Invalid)?;
        self.get(
            "paymentservice/financebalance/incomedetail",
            format!("{SERVICE_PATH}/financebalance/incomedetail"),
            req.to_params(),
        )
        .await
    }

    /// 支付收入其他款项列表: one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn other_detail(&self, req: &FinanceRangeRequest) -> Result<OtherDetail> {
        req.validate().map_err(TpError::Invalid)?;
        self.get(
            "paymentservice/financebalance/otherdetail",
            format!("{SERVICE_PATH}/financebalance/otherdetail"),
            req.to_params(),
        )
        .await
    }

    /// 支出列表: one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn expenses(&self, req: &FinanceRangeRequest) -> Result<ExpenseList> {
        req.validate().map_err(TpError::Invalid)?;
        self.get(
            "paymentservice/financeexpense",
            format!("{SERVICE_PATH}/financeexpense"),
            req.to_params(),
        )
        .await
    }

    /// 支出打款详情.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn pay_detail(&self, task_id: u64) -> Result<PayDetail> {
        self.get(
            "paymentservice/financeexpense/paydetail",
            format!("{SERVICE_PATH}/financeexpense/paydetail"),
            PayDetailRequest { task_id }.to_params(),
        )
        .await
    }

    /// TP 查询订单 (`/paymentservice/tp/findByTpOrderId`).
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn find_order(
        &self,
        pm_app_key: AppKey,
        tp_order_id: TpOrderId,
    ) -> Result<OrderDetail> {
        let req = FindOrderRequest::new(tp_order_id, pm_app_key);
        self.get(
            "tp/findByTpOrderId",
            format!("{TP_PAY_PATH}/findByTpOrderId"),
            req.to_params(),
        )
        .await
    }

    /// TP 关闭订单.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn cancel_order(&self, pm_app_key: AppKey, order_id: OrderId) -> Result<bool> {
        let req = CancelOrderRequest::new(order_id, pm_app_key);
        self.get(
            "tp/cancelOrder",
            format!("{TP_PAY_PATH}/cancelOrder"),
            req.to_params(),
        )
        .await
    }

    /// TP 申请退款 (idempotent by `bizRefundBatchId`, so a retry reuses the same request).
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn apply_refund(&self, req: &ApplyRefundRequest) -> Result<ApplyRefundResult> {
        Ok(self
            .api
            .call(
                "tp/applyOrderRefund",
                Method::POST,
                &format!("{TP_PAY_PATH}/applyOrderRefund"),
                req.to_params(),
                Body::Form,
                true,
            )
            .await?)
    }

    /// TP 查询退款.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn find_refunds(
        &self,
        pm_app_key: AppKey,
        tp_order_id: TpOrderId,
        user_id: UserId,
    ) -> Result<Vec<RefundRecord>> {
        let req = FindRefundRequest::new(tp_order_id, user_id, pm_app_key);
        let list: Option<Vec<RefundRecord>> = self
            .get(
                "tp/findOrderRefund",
                format!("{TP_PAY_PATH}/findOrderRefund"),
                req.to_params(),
            )
            .await?;
        Ok(list.unwrap_or_default())
    }

    /// TP 订单对账单 / 资金账单.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn bill(&self, pm_app_key: AppKey, kind: BillKind, day: Date) -> Result<BillList> {
        let req = BillRequest::new(day, pm_app_key);
        let seg = kind.path_segment();
        self.get(
            if matches!(kind, BillKind::Order) {
                "tp/orderBill"
            } else {
                "tp/capitaBill"
            },
            format!("{TP_PAY_PATH}/{seg}"),
            req.to_params(),
        )
        .await
    }
}

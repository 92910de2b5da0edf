//! The TP client.

use std::sync::Arc;

use baidupay_model::cashier::{
    ApplyRefundRequest, ApplyRefundResult, BillKind, BillList, BillRequest, CancelOrderRequest,
    Date, FindOrderRequest, FindRefundRequest, OrderDetail, RefundRecord,
};
use baidupay_model::operation::{
    AccountAuditStatusRequest, BoundServiceRequest, CapitalBill, DictRequest, ExpenseListRequest,
    FinanceBalanceList, Operation, OrderBill, OtherDetailList, ServiceAuditStatusRequest, Tp,
    UpdateBoundService,
};
use baidupay_model::tp::{
    AccountAuditStatus, AccountCreateRequest, BoundService, DevelopConfigRequest, ExpenseList,
    FinanceBalance, FinanceRangeRequest, IncomeDetail, IncomeDetailRequest, OrderList,
    OrderListRequest, OtherDetail, PayDetail, PayDetailRequest, PaymentDict, PaymentServiceRequest,
    PaymentServiceUpdateRequest, ServiceAuditStatus,
};
use baidupay_model::{AppKey, OrderId, TpOrderId, UserId};
use baidupay_openapi::{OpenApi, TokenProvider};
use baidupay_transport::Transport;

use crate::error::{Result, TpError};
use crate::pages::Pages;

pub use baidupay_model::operation::{ACCOUNT_PATH, DEVELOP_CONFIG_PATH, TP_PAY_PATH};
/// `/rest/2.0/smartapp/pay/paymentservice`.
pub const SERVICE_PATH: &str = baidupay_model::operation::PAY_PATH;

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

    /// Validates and sends one operation.
    async fn run<O: Operation>(&self, request: &O) -> Result<O::Output> {
        request.validate().map_err(TpError::Invalid)?;
        Ok(self.api.execute(request).await?)
    }

    /// 获取数据字典: provinces/cities, banks, commission rates, payment days.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn dict(&self) -> Result<PaymentDict> {
        self.run(&DictRequest).await
    }

    /// 创建支付账号 (step 1, audited; the result arrives by push or [`TpClient::account_audit_status`]).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn create_account(&self, req: &AccountCreateRequest) -> Result<()> {
        self.run(req).await.map(drop)
    }

    /// 支付账号创建状态查询.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn account_audit_status(&self) -> Result<AccountAuditStatus> {
        self.run(&AccountAuditStatusRequest).await
    }

    /// 提交开发者信息 (step 2, audited).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn submit_develop_config(&self, req: &DevelopConfigRequest) -> Result<()> {
        self.run(req).await.map(drop)
    }

    /// 创建并绑定支付服务 (step 3, audited).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn create_service(&self, req: &PaymentServiceRequest) -> Result<()> {
        self.run(req).await.map(drop)
    }

    /// 支付服务创建状态查询.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn service_audit_status(&self) -> Result<ServiceAuditStatus> {
        self.run(&ServiceAuditStatusRequest).await
    }

    /// 更新支付服务部分字段 (no audit).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn update_service(&self, req: &PaymentServiceUpdateRequest) -> Result<()> {
        self.run(req).await.map(drop)
    }

    /// 更新支付服务全部信息 (audited).
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn update_bound_service(&self, req: &PaymentServiceRequest) -> Result<()> {
        self.run(&UpdateBoundService(req)).await.map(drop)
    }

    /// 获取绑定的支付服务.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn bound_service(&self) -> Result<BoundService> {
        self.run(&BoundServiceRequest).await
    }

    /// 支付订单流水列表: one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn order_list(&self, req: &OrderListRequest) -> Result<OrderList> {
        self.run(req).await
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
        self.run(&FinanceBalanceList(req)).await
    }

    /// 支付收入货款列表 (one day): one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn income_detail(&self, req: &IncomeDetailRequest) -> Result<IncomeDetail> {
        self.run(req).await
    }

    /// 支付收入其他款项列表: one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn other_detail(&self, req: &FinanceRangeRequest) -> Result<OtherDetail> {
        self.run(&OtherDetailList(req)).await
    }

    /// 支出列表: one page.
    ///
    /// # Errors
    /// [`TpError::Invalid`] before sending; [`TpError::Call`].
    pub async fn expenses(&self, req: &FinanceRangeRequest) -> Result<ExpenseList> {
        self.run(&ExpenseListRequest(req)).await
    }

    /// 支出打款详情.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn pay_detail(&self, task_id: u64) -> Result<PayDetail> {
        self.run(&PayDetailRequest::new(task_id)).await
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
        self.run(&Tp(&FindOrderRequest::new(tp_order_id, pm_app_key)))
            .await
    }

    /// TP 关闭订单.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn cancel_order(&self, pm_app_key: AppKey, order_id: OrderId) -> Result<bool> {
        self.run(&Tp(&CancelOrderRequest::new(order_id, pm_app_key)))
            .await
    }

    /// TP 申请退款 (idempotent by `bizRefundBatchId`, so a retry reuses the same request).
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn apply_refund(&self, req: &ApplyRefundRequest) -> Result<ApplyRefundResult> {
        self.run(&Tp(req)).await
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
        Ok(self.run(&Tp(&req)).await?.unwrap_or_default())
    }

    /// TP 订单对账单 / 资金账单.
    ///
    /// # Errors
    /// [`TpError::Call`].
    pub async fn bill(&self, pm_app_key: AppKey, kind: BillKind, day: Date) -> Result<BillList> {
        let req = BillRequest::new(day, pm_app_key);
        if kind == BillKind::Capital {
            self.run(&Tp(&CapitalBill(&req))).await
        } else {
            self.run(&Tp(&OrderBill(&req))).await
        }
    }
}

-- Coupons (src/coupons/): two core stocks each, and the codes handed to users.
-- CreateEnum
CREATE TYPE "CouponCodeStatus" AS ENUM ('ISSUED', 'REDEEMED');

-- CreateTable
CREATE TABLE "Coupon" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "StockStatus" NOT NULL DEFAULT 'DRAFT',
    "issueStockId" TEXT NOT NULL,
    "useStockId" TEXT NOT NULL,
    "perUserIssueLimit" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Coupon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CouponCode" (
    "code" TEXT NOT NULL,
    "couponId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "issueReference" TEXT NOT NULL,
    "status" "CouponCodeStatus" NOT NULL DEFAULT 'ISSUED',
    "orderReference" TEXT,
    "redemptions" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CouponCode_pkey" PRIMARY KEY ("code")
);

-- CreateIndex
CREATE UNIQUE INDEX "Coupon_issueStockId_key" ON "Coupon"("issueStockId");

-- CreateIndex
CREATE UNIQUE INDEX "Coupon_useStockId_key" ON "Coupon"("useStockId");

-- CreateIndex
CREATE INDEX "CouponCode_userId_idx" ON "CouponCode"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "CouponCode_couponId_issueReference_key" ON "CouponCode"("couponId", "issueReference");

-- AddForeignKey
ALTER TABLE "CouponCode" ADD CONSTRAINT "CouponCode_couponId_fkey" FOREIGN KEY ("couponId") REFERENCES "Coupon"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


GRANT SELECT, INSERT, UPDATE ON "Coupon", "CouponCode" TO dropqueue_app;

// The NEON micro-kernel against the scalar reference, bit for bit, on random shapes (edges, every transpose,
// k around the 4096 block). Built for arm64 and run under qemu by scripts/neon-check.sh; not part of swift test.
#include "zoo_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static unsigned long long s=88172645463325252ULL; static float rnd(){s^=s<<13;s^=s>>7;s^=s<<17;return (float)((s>>40)*(1.0/16777216.0))-0.5f;}
int main(){
  int bad=0, runs=0;
  printf("neon available: %d\n", zk_isa_available(ZK_ISA_NEON));
  for(int it=0;it<200;it++){
    long m=1+rand()%40,n=1+rand()%50,k=(it%4==0)?4090+rand()%10:1+rand()%300; int ta=rand()%2,tb=rand()%2,acc=rand()%2;
    long lda=(ta?m:k)+rand()%3, ldb=(tb?k:n)+rand()%3, ldc=n+rand()%3;
    float*a=malloc(sizeof(float)*(ta?k:m)*lda),*b=malloc(sizeof(float)*(tb?n:k)*ldb);
    for(long i=0;i<(ta?k:m)*lda;i++)a[i]=rnd(); for(long i=0;i<(tb?n:k)*ldb;i++)b[i]=rnd();
    float*c0=malloc(sizeof(float)*m*ldc); for(long i=0;i<m*ldc;i++)c0[i]=rnd();
    float*r=malloc(sizeof(float)*m*ldc); memcpy(r,c0,sizeof(float)*m*ldc);
    float*x=malloc(sizeof(float)*m*ldc); memcpy(x,c0,sizeof(float)*m*ldc);
    zk_sgemm(ZK_ISA_SCALAR,ta,tb,m,n,k,a,lda,b,ldb,acc,r,ldc);
    zk_sgemm(ZK_ISA_NEON,ta,tb,m,n,k,a,lda,b,ldb,acc,x,ldc); runs++;
    if(memcmp(x,r,sizeof(float)*m*ldc)){bad++;}
    free(a);free(b);free(c0);free(r);free(x);
  }
  printf("neon vs scalar: %d of %d differ\n",bad,runs);
  return bad!=0;
}

// ml-regression 6 ships no type declarations; it re-exports PolynomialRegression from
// ml-regression-polynomial, which does, so borrow that package's types for the one class we use.
declare module 'ml-regression' {
  export { PolynomialRegression } from 'ml-regression-polynomial'
}
